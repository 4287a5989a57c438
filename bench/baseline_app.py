"""The pages baseline: a bare Flask app that renders a template of a requested size, with no database.

Served by the same gunicorn settings as the app, it measures what HTTP, WSGI and Jinja cost on this
machine right now, so a page's figure can be read as a ratio to it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template, request

#: one table row of the baseline page, about the size of a caseload row
ROW_TEXT = "한누리구 통합사례관리 2026-11-30 실행·점검 사례관리자 김민서"


def create_baseline_app() -> Flask:
    """Build the baseline app (autoescaping Jinja, like the real templates)."""
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

    @app.get("/render")
    def render() -> str:
        """Render ``bytes`` bytes (about) of HTML through a layout, a loop and escaping."""
        wanted = max(0, min(request.args.get("bytes", 20_000, type=int), 5_000_000))
        row_bytes = len(f'<tr><th scope="row">0</th><td>{ROW_TEXT}</td></tr>\n'.encode())
        rows = [(number, ROW_TEXT) for number in range(max(1, wanted // row_bytes))]
        return render_template("baseline.html", rows=rows)

    return app


app = create_baseline_app()
