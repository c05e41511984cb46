// annotate: selection to claims and citations, claim panel, keyboard shortcuts.
// Everything here is an enhancement: reading and the forms work without JavaScript.
(function () {
  "use strict";

  // The page says how to work with JavaScript (select, keys) only once it runs; until then,
  // and without it, the hints say how to do the same with the forms (`.js-only`, `.no-js`).
  document.documentElement.classList.add("js");

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const cpLen = (s) => { let n = 0; for (const _ of s) n++; return n; };  // code points, as Python counts

  // -- offsets: a DOM point -> code-point offset in the document text ------------------
  function offsetIn(container, node, offset) {
    let total = 0;
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    if (node.nodeType !== Node.TEXT_NODE) {
      // A point between children: count the text of the children before it.
      const before = document.createRange();
      before.setStart(container, 0);
      before.setEnd(node, offset);
      return cpLen(before.toString());
    }
    while (walker.nextNode()) {
      const t = walker.currentNode;
      if (t === node) return total + cpLen(t.data.slice(0, offset));
      total += cpLen(t.data);
    }
    return total;
  }

  let selection = null;  // {doc, start, end, exact, title}

  function readSelection() {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return null;
    const range = sel.getRangeAt(0);
    const box = range.commonAncestorContainer.nodeType === Node.TEXT_NODE
      ? range.commonAncestorContainer.parentElement.closest(".doctext")
      : range.commonAncestorContainer.closest && range.commonAncestorContainer.closest(".doctext");
    if (!box) return null;
    let start = offsetIn(box, range.startContainer, range.startOffset);
    let end = offsetIn(box, range.endContainer, range.endOffset);
    let exact = range.toString();
    // Trim whitespace at both ends, moving the offsets with it.
    const lead = exact.length - exact.trimStart().length;
    const trail = exact.length - exact.trimEnd().length;
    start += cpLen(exact.slice(0, lead));
    end -= cpLen(exact.slice(exact.length - trail));
    exact = exact.trim();
    if (!exact || end <= start) return null;
    return { doc: box.dataset.doc, title: box.dataset.title, start, end, exact, rect: range.getBoundingClientRect() };
  }

  function showBar() {
    const bar = $("#selbar");
    if (!bar) return;
    selection = readSelection();
    if (!selection) { bar.hidden = true; return; }
    bar.classList.toggle("no-claim", !$("#claim-panel"));
    // In the quote picker only citing makes sense.
    bar.classList.toggle("in-picker", !!$("#picker[open]"));
    const host = $("#picker[open]") || document.body;
    if (bar.parentElement !== host) host.appendChild(bar);
    bar.hidden = false;
    const r = selection.rect;
    if (host === document.body) {
      bar.style.left = `${Math.max(8, r.left + window.scrollX)}px`;
      bar.style.top = `${r.bottom + window.scrollY + 6}px`;
    } else {
      const h = host.getBoundingClientRect();
      bar.style.left = `${Math.max(8, r.left - h.left + host.scrollLeft)}px`;
      bar.style.top = `${r.bottom - h.top + host.scrollTop + 6}px`;
    }
  }

  function setValue(form, name, value) {
    const el = form.elements.namedItem(name);
    if (el) el.value = value;
  }

  function act(kind) {
    if (!selection) selection = readSelection();
    const s = selection;
    if (!s) return false;
    const panel = $("#panel");
    if (kind === "new") {
      const tpl = $("#tpl-new-claim");
      let form = $("form[data-form=new-claim]", panel);
      if (!form && tpl) {
        panel.replaceChildren(tpl.content.cloneNode(true));
        htmx.process(panel);
        form = $("form[data-form=new-claim]", panel);
      }
      if (!form) return false;
      setValue(form, "doc", s.doc); setValue(form, "start", s.start);
      setValue(form, "end", s.end); setValue(form, "exact", s.exact);
      setValue(form, "quote", s.exact);
      if (!form.elements.statement.value) form.elements.statement.value = s.exact;
      form.elements.claimant.focus();
      history.replaceState(null, "", location.pathname);
    } else if (kind === "appearance") {
      const form = $("form[data-form=appearance]", panel);
      if (!form) return false;
      setValue(form, "doc", s.doc); setValue(form, "start", s.start); setValue(form, "end", s.end);
      setValue(form, "exact", s.exact); setValue(form, "quote", s.exact);
      form.requestSubmit();
    } else {
      const form = $("form[data-form=source]", panel);
      if (!form) return false;
      $(`input[name=stance][value=${kind}]`, form).checked = true;
      $("input[name=kind][value=quote]", form).checked = true;
      setValue(form, "source_doc", s.doc); setValue(form, "source_start", s.start);
      setValue(form, "source_end", s.end); setValue(form, "source_exact", s.exact);
      setValue(form, "source_quote", s.exact);
      const picker = $("#picker");
      if (picker && picker.open) picker.close();
      form.requestSubmit();
    }
    window.getSelection().removeAllRanges();
    $("#selbar").hidden = true;
    selection = null;
    return true;
  }

  // A quote typed by hand replaces the selection the hidden fields held.
  document.addEventListener("input", (e) => {
    const form = e.target.form;
    if (!form) return;
    if (e.target.name === "source_quote") ["source_start", "source_end", "source_exact"].forEach((n) => setValue(form, n, ""));
    if (e.target.name === "quote") ["start", "end", "exact"].forEach((n) => setValue(form, n, ""));
  });

  // -- claims: open, move between, mark the current one --------------------------------
  function currentDoc() { const t = $("#doc-text"); return t && t.dataset.doc; }

  function openClaim(id, focusPanel) {
    const doc = currentDoc();
    if (!doc || !window.htmx) return;
    htmx.ajax("GET", `/claims/${encodeURIComponent(id)}?doc=${encodeURIComponent(doc)}`,
      { target: "#panel", swap: "innerHTML" }).then(() => {
      history.replaceState(null, "", `${location.pathname}?claim=${encodeURIComponent(id)}`);
      if (focusPanel) $("#panel").focus({ preventScroll: true });
    });
  }

  function highlightCurrent() {
    const panel = $("#claim-panel");
    const id = panel && panel.dataset.claimId;
    $$("mark.current").forEach((m) => m.classList.remove("current"));
    if (id) $$(`#doc-text mark[data-claim="${CSS.escape(id)}"]`).forEach((m) => m.classList.add("current"));
  }

  function claimOrder() {
    const seen = new Set();
    const ids = [];
    $$("#doc-text mark.first").forEach((m) => {
      if (!seen.has(m.dataset.claim)) { seen.add(m.dataset.claim); ids.push(m.dataset.claim); }
    });
    return ids;
  }

  function step(delta) {
    const ids = claimOrder();
    if (!ids.length) return;
    const panel = $("#claim-panel");
    const at = panel ? ids.indexOf(panel.dataset.claimId) : -1;
    const next = ids[(at + delta + ids.length) % ids.length] ?? ids[0];
    const mark = $(`#doc-text mark.first[data-claim="${CSS.escape(next)}"]`);
    if (mark) mark.scrollIntoView({ block: "center", behavior: "smooth" });
    openClaim(next, false);
  }

  document.addEventListener("click", (e) => {
    const t = e.target;
    const mark = t.closest && t.closest("#doc-text mark[data-claim]");
    if (mark) {
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return;  // the reviewer is selecting, not clicking
      openClaim(mark.dataset.claim, true);
      return;
    }
    const attach = t.closest && t.closest("button[data-attach]");
    if (attach) {
      const s = selection || readSelection();
      if (s) {
        e.preventDefault();
        const form = attach.form;
        setValue(form, "doc", s.doc); setValue(form, "start", s.start);
        setValue(form, "end", s.end); setValue(form, "exact", s.exact);
        setValue(form, "quote", s.exact);
        form.requestSubmit();
      }
      return;
    }
    const bar = t.closest && t.closest("[data-sel]");
    if (bar) { act(bar.dataset.sel); return; }
    const goto = t.closest && t.closest("a[data-goto]");
    if (goto && goto.dataset.doc === currentDoc()) {
      const target = document.getElementById(goto.dataset.goto);
      if (target) { e.preventDefault(); target.scrollIntoView({ block: "center", behavior: "smooth" }); }
    }
    if (t.closest && t.closest("[data-action=help]")) $("#help").showModal();
    const pick = t.closest && t.closest("[data-action=pick]");
    if (pick) {
      const form = pick.form;
      const doc = form.elements.source_doc.value;
      const dialog = $("#picker");
      htmx.ajax("GET", `/documents/${encodeURIComponent(doc)}/text?picker=1`, { target: "#picker-body", swap: "innerHTML" })
        .then(() => { if (!dialog.open) dialog.showModal(); });
    }
  });

  document.addEventListener("mouseup", () => setTimeout(showBar, 0));
  document.addEventListener("keyup", (e) => { if (e.shiftKey || e.key.startsWith("Arrow")) showBar(); });
  document.addEventListener("selectionchange", () => {
    const sel = window.getSelection();
    if (sel && sel.isCollapsed && $("#selbar")) $("#selbar").hidden = true;
  });

  // -- keyboard shortcuts ---------------------------------------------------------------
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    const typing = t.closest && t.closest("input, textarea, select, [contenteditable]");
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && typing && t.form) {
      e.preventDefault(); t.form.requestSubmit(); return;
    }
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    const panel = $("#claim-panel");
    switch (e.key) {
      case "?": $("#help").showModal(); break;
      case "j": step(1); break;
      case "k": step(-1); break;
      case "1": case "2": case "3": {
        const radio = panel && $(`input[name=verdict][data-key="${e.key}"]`, panel);
        if (!radio) return;
        radio.checked = true;
        keepDraft(radio.form);
        const r = radio.form.elements.namedItem("rationale");
        if (r) { r.focus(); r.setSelectionRange(r.value.length, r.value.length); }
        break;
      }
      case "n": if (!act("new")) return; break;
      case "s": if (!act("supports")) return; break;
      case "r": if (!act("refutes")) return; break;
      case "c": if (!act("context")) return; break;
      case "a": if (!act("appearance")) return; break;
      case "Escape":
        if (panel && currentDoc()) {
          const tpl = $("#tpl-new-claim");
          if (tpl) { $("#panel").replaceChildren(tpl.content.cloneNode(true)); htmx.process($("#panel")); }
          history.replaceState(null, "", location.pathname);
          highlightCurrent();
        }
        return;
      default: return;
    }
    e.preventDefault();
  });


  // -- drafts: nothing typed in the claim panel is lost -----------------------------------
  // Each panel form's unsaved values are kept in localStorage under the panel's draft key
  // (store, person, claim) and the form's name, as the reviewer types and before every
  // request the panel makes; they are put back into the form whenever the panel is drawn
  // again (citing a source, adding an appearance, any other panel action, a page reload).
  // A form's draft is dropped when that form is saved, or discarded. Without storage (a
  // private window that refuses it) the drafts live in memory: they survive the panel's own
  // reloads, not a page reload.
  const memory = new Map();
  const store = (() => {
    try { const s = window.localStorage; s.setItem("annotate-probe", "1"); s.removeItem("annotate-probe"); return s; }
    catch (_) { return null; }
  })();
  const draftRead = (k) => {
    const raw = store ? store.getItem(k) : memory.get(k);
    try { return raw ? JSON.parse(raw) : null; } catch (_) { return null; }
  };
  const draftWrite = (k, v) => {
    const raw = JSON.stringify(v);
    if (store) { try { store.setItem(k, raw); return; } catch (_) { /* full: keep it in memory */ } }
    memory.set(k, raw);
  };
  const draftDrop = (k) => { if (store) store.removeItem(k); memory.delete(k); };

  function draftKey(form) {
    const panel = form && form.closest("#claim-panel");
    if (!panel || !panel.dataset.draftKey || !form.dataset.form) return null;
    return `annotate-draft|${panel.dataset.draftKey}|${form.dataset.form}`;
  }
  const typedFields = (form) => Array.from(form.elements).filter((el) =>
    el.name && el.name !== "csrf_token" && !["hidden", "submit", "button"].includes(el.type) && el.tagName !== "BUTTON");

  // What was typed in the form: the fields whose value is not the one the server drew
  // (radio groups by name, tick boxes one by one), or null when there are none. A form the
  // server drew again with what was typed in it (a refused save: data-typed) counts whole.
  function snapshot(form) {
    const whole = "typed" in form.dataset;
    const values = {};
    const boxes = {};
    let typed = false;
    for (const el of typedFields(form)) {
      if (el.type === "radio") {
        const group = $$(`input[type=radio][name="${CSS.escape(el.name)}"]`, form);
        if (el.name in values || !(whole || group.some((r) => r.checked !== r.defaultChecked))) continue;
        const on = group.find((r) => r.checked);
        values[el.name] = on ? on.value : "";
        typed = true;
      } else if (el.type === "checkbox") {
        if (whole || el.checked !== el.defaultChecked) { boxes[`${el.name}=${el.value}`] = el.checked; typed = true; }
      } else if (el.tagName === "SELECT") {
        if (whole || Array.from(el.options).some((o) => o.selected !== o.defaultSelected)) { values[el.name] = el.value; typed = true; }
      } else if (whole || el.value !== el.defaultValue) {
        values[el.name] = el.value; typed = true;
      }
    }
    return typed ? { values, boxes } : null;
  }

  function keepDraft(form) {
    const k = draftKey(form);
    if (!k) return;
    const typed = snapshot(form);
    if (!typed) { draftDrop(k); return; }
    const old = draftRead(k);
    const version = old ? old.version : Number(form.elements.version && form.elements.version.value);
    draftWrite(k, { ...typed, version, at: old && old.values ? old.at : new Date().toISOString() });
  }
  const keepAll = () => $$("#claim-panel form[data-form]").forEach(keepDraft);

  function putBack(form, draft) {
    const values = draft.values || {};
    const boxes = draft.boxes || {};
    for (const el of typedFields(form)) {
      if (el.type === "checkbox") {
        const key = `${el.name}=${el.value}`;
        if (key in boxes) el.checked = boxes[key];
      } else if (el.name in values) {
        if (el.type === "radio") el.checked = values[el.name] === el.value;
        else el.value = values[el.name];
      }
    }
  }

  // Draw the drafts into the panel. `rebase`: the panel was redrawn by this reviewer's own
  // action (or shows the conflict they now see), so a draft counts from its version; after
  // a page load or on opening the claim, a draft typed against an older version keeps it in
  // the form, so that saving it shows the other changes before anything is replaced.
  function restoreDrafts(rebase) {
    const panel = $("#claim-panel");
    if (!panel) return;
    const now = Number(panel.dataset.version);
    for (const form of $$("form[data-form]", panel)) {
      const k = draftKey(form);
      const draft = k && draftRead(k);
      if (!draft || !draft.values) continue;
      putBack(form, draft);
      if (rebase && draft.version !== now) { draft.version = now; draftWrite(k, draft); }
      if (!snapshot(form) || "typed" in form.dataset) continue;  // the server drew these values
      if (!rebase && draft.version && draft.version !== now && form.elements.version) form.elements.version.value = draft.version;
      if (!$(".draft-note", form)) {
        const note = document.createElement("p");
        note.className = "draft-note small";
        note.setAttribute("role", "status");
        const when = new Date(draft.at);
        const older = draft.version && draft.version !== now;
        note.textContent = `Your unsaved draft from ${when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} is back in this form` +
          (older ? ` (typed against version ${draft.version}; the claim is now at ${now}: saving shows both versions first).` : ".") + " ";
        const discard = document.createElement("button");
        discard.type = "button"; discard.className = "linklike"; discard.dataset.action = "discard-draft";
        discard.textContent = "Discard the draft";
        note.appendChild(discard);
        form.prepend(note);
      }
    }
  }

  document.addEventListener("input", (e) => { if (e.target.form) keepDraft(e.target.form); });
  document.addEventListener("change", (e) => { if (e.target.form) keepDraft(e.target.form); });
  document.addEventListener("htmx:beforeRequest", (e) => {
    if (!e.detail.elt.closest || !e.detail.elt.closest("#claim-panel")) return;
    keepAll();
    const gone = e.detail.elt.dataset && e.detail.elt.dataset.discard;  // "take theirs"
    if (gone) {
      const form = $(`#claim-panel form[data-form="${CSS.escape(gone)}"]`);
      const k = draftKey(form);
      if (k) draftDrop(k);
    }
  });
  // A form saved: its draft is done with (before the new panel is drawn).
  document.addEventListener("htmx:beforeSwap", (e) => {
    const elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    const form = elt && (elt.tagName === "FORM" ? elt : elt.form);
    if (form && e.detail.xhr.status >= 200 && e.detail.xhr.status < 300) {
      const k = draftKey(form);
      if (k) draftDrop(k);
    }
  });
  document.addEventListener("click", (e) => {
    const t = e.target;
    const discard = t.closest && t.closest("[data-action=discard-draft]");
    if (discard) {
      const form = discard.form;
      const k = draftKey(form);
      if (k) draftDrop(k);
      discard.closest(".draft-note").remove();
      form.reset();
      if (form.elements.version) form.elements.version.value = form.closest("#claim-panel").dataset.version;
      return;
    }
    const take = t.closest && t.closest("button[data-take]");
    if (take) {  // merge by hand: one of their fields into the reviewer's form
      const form = document.getElementById(take.dataset.into);
      if (!form) return;
      const name = take.dataset.take;
      const els = $$(`[name="${CSS.escape(name)}"]`, form);
      els.forEach((el) => { if (el.type === "radio") el.checked = el.value === take.dataset.value; else el.value = take.dataset.value; });
      keepDraft(form);
      const first = els.find((el) => el.type !== "radio") || els.find((el) => el.checked) || els[0];
      if (first) first.focus();
    }
  });

  // -- tables shown as cards on phones (CSS display: block) keep their table roles -------
  function tableRoles() {
    for (const t of $$("table.cards:not([role])")) {
      t.setAttribute("role", "table");
      $$(":scope > thead, :scope > tbody", t).forEach((g) => g.setAttribute("role", "rowgroup"));
      $$("tr", t).forEach((r) => r.setAttribute("role", "row"));
      $$("th[scope=col]", t).forEach((c) => c.setAttribute("role", "columnheader"));
      $$("th[scope=row]", t).forEach((c) => c.setAttribute("role", "rowheader"));
      $$("td", t).forEach((c) => c.setAttribute("role", "cell"));
    }
  }

  // -- after htmx swaps ------------------------------------------------------------------
  document.addEventListener("htmx:afterSwap", (e) => {
    highlightCurrent();
    tableRoles();
    if (e.detail.target.id === "panel" || e.detail.target.tagName === "BODY") {
      const verb = e.detail.requestConfig && e.detail.requestConfig.verb;
      restoreDrafts(verb === "post" && e.detail.target.id === "panel");
    }
    const conflict = $("#conflict");
    if (conflict) conflict.scrollIntoView({ block: "nearest" });
    const err = $("#panel .message.error");
    if (err && e.detail.target.id === "panel") err.scrollIntoView({ block: "nearest" });
  });
  document.addEventListener("DOMContentLoaded", () => { highlightCurrent(); tableRoles(); restoreDrafts(false); });

  // -- a save refused because the session ended (team mode), too many attempts, or the disk --
  // The form is left as it is, so that nothing typed is lost; a message says what to do.
  document.addEventListener("htmx:responseError", (e) => {
    const status = e.detail.xhr.status;
    const disk = e.detail.xhr.getResponseHeader("X-Annotate-Error");
    if (status !== 401 && status !== 429 && !disk) return;
    let box = $("#session-message");
    if (!box) {
      box = document.createElement("p");
      box.id = "session-message";
      box.className = "message error";
      box.setAttribute("role", "alert");
      $("#main").prepend(box);
    }
    box.textContent = disk
      ? disk.charAt(0).toUpperCase() + disk.slice(1)
      : status === 401
        ? "Your session has ended: nothing was saved. Log in again in another tab, then save again here."
        : "Too many attempts: wait a minute, then try again.";
    box.scrollIntoView({ block: "nearest" });
  });
})();
