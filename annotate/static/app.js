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
        const r = $("#rationale", panel);
        r.focus(); r.setSelectionRange(r.value.length, r.value.length);
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

  // -- after htmx swaps ------------------------------------------------------------------
  document.addEventListener("htmx:afterSwap", (e) => {
    highlightCurrent();
    const conflict = $("#conflict");
    if (conflict) conflict.scrollIntoView({ block: "nearest" });
    const err = $("#panel .message.error");
    if (err && e.detail.target.id === "panel") err.scrollIntoView({ block: "nearest" });
  });
  document.addEventListener("DOMContentLoaded", highlightCurrent);

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
