"""The case story's sections on the case page and the call page (issue 19): each module that adds one registers
a function giving its template what it needs, so the page views stay as they are.

    @story.case_section
    def referrals(case, user) -> dict: ...          # merged into case.html's context
"""
from __future__ import annotations

from collections.abc import Callable

from models import Call, Case, User

CaseSection = Callable[[Case, User], dict]
CallSection = Callable[[Call, User], dict]
_CASE: list[CaseSection] = []
_CALL: list[CallSection] = []


def case_section(provider: CaseSection) -> CaseSection:
    _CASE.append(provider)
    return provider


def call_section(provider: CallSection) -> CallSection:
    _CALL.append(provider)
    return provider


def case_context(case: Case, user: User) -> dict:
    context: dict = {}
    for provider in _CASE:
        context.update(provider(case, user))
    return context


def call_context(call: Call, user: User) -> dict:
    context: dict = {}
    for provider in _CALL:
        context.update(provider(call, user))
    return context
