"""The case story's figures (casework/story_figures.py) as the reports page's tables and CSV files: rows in the
vocabulary's order with the user's words, for all the periods together."""
from __future__ import annotations

from flask_babel import gettext as _

from models.vocabulary import AGENCIES, INDICATORS, OUTCOMES, REFERRAL_STATUSES

from .i18n import province_label
from .words import KIND, say


class StoryTables:
    """Mixed into the page's Report, whose `story` holds the figures."""

    @property
    def outcomes(self) -> list[tuple[str, int]]:
        """(outcome, cases closed with it), in the vocabulary's order, those with none left out."""
        known = [code for code in OUTCOMES if code in self.story.outcomes]
        return [(code, self.story.outcomes[code]) for code in known + sorted(set(self.story.outcomes) - set(known))]

    @property
    def people_provinces(self) -> list[tuple[str, object]]:
        """(province name, People) by name, the unknown province last."""
        rows = self.story.by_province.items()
        return [(province_label(k), v) for k, v in sorted(rows, key=lambda r: (r[0] is None, province_label(r[0])))]

    @property
    def people_kinds(self) -> list[tuple[str, object]]:
        """(kind's words, People) in the vocabulary's order, no kind yet last."""
        order = [*KIND, None]
        rows = sorted(self.story.by_kind.items(), key=lambda r: order.index(r[0]) if r[0] in order else len(order))
        return [(say("kind", k) if k else _("not known yet"), v) for k, v in rows]

    @property
    def to_arrival(self) -> list[tuple[str, object]]:
        """(province name, Spread of acknowledgement to arrival) by name."""
        rows = self.story.to_arrival.items()
        return [(province_label(k), v) for k, v in sorted(rows, key=lambda r: (r[0] is None, province_label(r[0])))]

    @property
    def referrals(self) -> list[tuple[str, list[int]]]:
        """(agency, referrals per status in REFERRAL_STATUSES' order) for each agency with any."""
        agencies = {agency for agency, _status in self.story.referrals}
        return [(agency, [self.story.referrals.get((agency, status), 0) for status in self.referral_statuses])
                for agency in [*(a for a in AGENCIES if a in agencies), *sorted(agencies - set(AGENCIES))]]

    @property
    def referral_statuses(self) -> list[str]:
        return [*REFERRAL_STATUSES, *sorted({s for _a, s in self.story.referrals} - set(REFERRAL_STATUSES))]

    @property
    def indicators(self) -> list[tuple[str, int]]:
        """(sign of trafficking, cases whose intake has it), every sign in checklist order."""
        return [(code, self.story.indicators.get(code, 0)) for code in INDICATORS]



def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _people(rows, key: str):
    header = [key, "cases_with_intake", "people", "minors", "nationalities"]
    return header, [[name, p.cases, p.people, p.minors, " ".join(f"{code}:{n}" for code, n in p.ranked())] for name, p in rows]


STORY_CSV = {
    "people-provinces": lambda r: _people(r.people_provinces, "province"),
    "people-kinds": lambda r: _people(r.people_kinds, "kind"),
    "indicators": lambda r: (["indicator", "indicator_name", "cases"], [[c, say("indicator", c), n] for c, n in r.indicators]),
    "referrals": lambda r: (["agency", *r.referral_statuses, "total"], [[a, *counts, sum(counts)] for a, counts in r.referrals]),
    "outcomes": lambda r: (["figure", "cases"], [["acknowledged", r.story.acknowledged], ["arrived", r.story.arrived],
                                                 *([f"closed:{c}", n] for c, n in r.outcomes)]),
    "to-arrival": lambda r: (["province", "cases", "median_minutes", "p90_minutes"],
                             [[name, s.cases, _minutes(s.median), _minutes(s.p90)] for name, s in r.to_arrival]),
}
