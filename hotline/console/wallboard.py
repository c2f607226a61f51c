"""The supervisors' wallboard (issue 16): callers waiting per language and the longest wait, the team by state,
and today's service level, abandoned calls and callbacks due. The figures are casework.desk_screen's; the page
renders once, then asks `wallboard/live.json` for the same sections every few seconds, like the dashboard."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request

from casework import desk_screen
from models import utcnow

from . import bp
from .access import db, requires
from .i18n import day_bounds, today

SUPERVISORS = ("supervisor", "admin")
SECTIONS = ("line", "chats", "team", "today")


def figures() -> desk_screen.Board:
    now = utcnow()
    return desk_screen.board(db(), *day_bounds(today(now)), now=now)


@bp.get("/wallboard")
@requires(*SUPERVISORS)
def wallboard():
    return render_template("console/wallboard.html", board=figures(),
                           poll_seconds=current_app.config["HOTLINE"].CONSOLE_POLL_SECONDS)


@bp.get("/wallboard/live.json")
@requires(*SUPERVISORS, json=True)
def wallboard_live():
    board = figures()
    context = {"board": board}
    current_app.update_template_context(context)
    module = current_app.jinja_env.get_template("console/_wallboard.html").make_module(context)
    response = jsonify(sections={name: str(getattr(module, name)(board)) for name in SECTIONS},
                       waiting=sum(line.waiting for line in board.lines))
    response.add_etag()
    return response.make_conditional(request)
