"""The web app: the reviewer's pages (htmx), the JSON API, login and the guards they share."""
