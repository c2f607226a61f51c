"""`/api/v1`: reports in (Protect-U app, volunteers, agencies), cases and calls out."""
from __future__ import annotations

from flask import g, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select

from casework.desk_record import record_of_call
from casework.intake import IdempotencyKeyReused, app_report_arrived
from hotline.db import enqueue_after_commit, transaction
from models import Call, Case, utcnow
from models.phones import mask
from models.places import place_for_postcode, province_for_point, province_name
from models.vocabulary import CASE_STATUSES

from . import bp, tokens
from .guard import ApiError, token_required
from .openapi import document
from .schemas import ReportIn

SOURCE_OF_REPORTER = {"app_user": "app", "volunteer": "volunteer", "agency": "agency"}  # models.vocabulary.SOURCES
PAGE = 50


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.post("/reports")
@token_required("report")
def create_report():
    _only_parameters()
    report, data = _parse(ReportIn)
    province, district = _where(report)
    token = g.api_token
    row = dict(token_id=token.id, idempotency_key=report.idempotency_key, reporter_type=report.reporter.type,
               reporter_id=report.reporter.id, contact_number=report.contact_number,
               callback_consent=report.callback_consent, language=report.language, description=report.description,
               latitude=report.location.latitude if report.location else None,
               longitude=report.location.longitude if report.location else None, received_at=utcnow())
    try:
        with transaction() as session:
            opened = app_report_arrived(session, row, data, source=SOURCE_OF_REPORTER[report.reporter.type],
                                        kind=report.kind, urgency=report.urgency, province_code=province,
                                        district_code=district, actor=f"token:{token.id}")
            body = _case(opened.case)
    except IdempotencyKeyReused as reused:  # as Stripe answers: the first report stands, this one is refused
        raise ApiError(422, "idempotency_key_reused", str(reused)) from None
    if not opened.new:  # the client retried: same case, nothing new
        return jsonify(body), 200
    enqueue_after_commit(opened.job_ids)
    return jsonify(body), 201, {"Location": f"{bp.url_prefix}/cases/{body['reference']}"}


@bp.get("/cases")
@token_required()
def list_cases():
    token = g.api_token
    _only_parameters("before", "limit", "status", "province")
    query = select(Case).order_by(Case.id.desc()).limit(_limit())
    if "before" in request.args:
        query = query.where(Case.id < _number(request.args["before"], "before"))
    if "status" in request.args:
        query = query.where(Case.status == _one_of(request.args["status"], list(CASE_STATUSES), "status"))
    if "province" in request.args:
        province = request.args["province"]
        if province_name(province) is None:
            raise ApiError(400, "invalid_parameter", "province must be a province code such as 50")
        query = query.where(Case.province_code == province)
    if token.scope != "all":
        query = query.where(Case.province_code.in_(token.provinces))
    with transaction() as session:
        cases = [_case(c) for c in session.scalars(query)]
    following = {"before": cases[-1]["id"]} if len(cases) == _limit() else None
    return jsonify({"cases": cases, "next": following})


@bp.get("/cases/<reference>")
@token_required()
def show_case(reference: str):
    _only_parameters()
    with transaction() as session:
        case = session.scalar(select(Case).where(Case.reference == reference[:20]))
        if case is None or not tokens.sees_province(g.api_token, case.province_code):
            raise ApiError(404, "not_found", f"no case {reference[:20]!r} that this token may see")
        body = _case(case)
        body["transitions"] = [{"to": t.to_status, "at": t.at.isoformat(), "by": t.actor} for t in case.transitions]
        body["escalations"] = [{"level": e.level, "status": e.status, "sent_at": _iso(e.sent_at),
                                "acknowledged_at": _iso(e.acknowledged_at)} for e in case.escalations]
    return jsonify(body)


@bp.get("/calls/<call_sid>")
@token_required()
def show_call(call_sid: str):
    _only_parameters()
    token = g.api_token
    with transaction() as session:
        call = session.scalar(select(Call).where(Call.call_sid == call_sid[:64]))
        if call is None or not tokens.sees_province(token, call.province_code):
            raise ApiError(404, "not_found", f"no call {call_sid[:64]!r} that this token may see")
        case = session.scalar(select(Case.reference).where(Case.call_id == call.id))
        desk = record_of_call(session, call.id)
        return jsonify({
            "call_sid": call.call_sid, "status": call.status, "language": call.language,
            "caller": call.from_e164 if token.can_see_numbers else mask(call.from_e164),
            "caller_country": call.caller_country, "topic": call.topic, "kind": call.category,
            "urgency": call.urgency, "province_code": call.province_code, "callback_consent": call.callback_consent,
            "ivr_path": call.ivr_path, "has_recording": call.recording_sid is not None,
            "started_at": _iso(call.started_at), "ended_at": _iso(call.ended_at),
            "duration_seconds": call.duration_seconds, "case_reference": case,
            "answered_by": desk.answered_by if desk else None,
            "answered_at": _iso(desk.answered_at) if desk else None,
            "wait_seconds": desk.wait_seconds if desk else None, "talk_seconds": desk.talk_seconds if desk else None,
            "wrap_up_seconds": desk.wrap_up_seconds if desk else None,
        })


def _parse(model):
    """The body validated as `model`, and the parsed JSON it came from."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the report as JSON (Content-Type: application/json)")
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body is nested too deeply to be a report") from None
    if data is None:
        raise ApiError(400, "invalid_json", "the body is not valid JSON")
    try:
        return model.model_validate(data), data
    except ValidationError as error:
        fields = [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "problem": e["msg"]}
                  for e in error.errors(include_url=False, include_input=False, include_context=False)]
        raise ApiError(422, "invalid_report", "the report has invalid or unknown fields", fields) from None


def _where(report: ReportIn) -> tuple[str | None, str | None]:
    """Province (and district) from the location; no location means central triage."""
    location = report.location
    if location is None:
        return None, None
    if location.province_code is not None:
        if province_name(location.province_code) is None:
            raise ApiError(422, "unknown_province", f"no province with code {location.province_code}",
                           [{"field": "location.province_code", "problem": "unknown province code"}])
        return location.province_code, None
    if location.postcode is not None:
        place = place_for_postcode(location.postcode)
        if place is None:
            raise ApiError(422, "unknown_postcode", f"no Thai postcode {location.postcode}",
                           [{"field": "location.postcode", "problem": "unknown postcode"}])
        return place.province_code, place.district_code
    province = province_for_point(location.latitude, location.longitude)
    if province is None:
        raise ApiError(422, "outside_thailand", "the coordinates are not in Thailand",
                       [{"field": "location", "problem": "latitude/longitude outside Thailand"}])
    return province, None


def _case(case: Case) -> dict:
    late = case.lateness(utcnow())
    return {"id": case.id, "reference": case.reference, "status": case.status,
            "kind": case.category, "urgency": case.urgency, "source": case.source,
            "province_code": case.province_code, "district_code": case.district_code, "level": case.level,
            "unacknowledged": case.unacknowledged, "outcome": case.outcome, "created_at": _iso(case.created_at),
            "acknowledged_at": _iso(case.acknowledged_at), "closed_at": _iso(case.closed_at),
            "acknowledged_late": bool(late and late.acknowledged), "missed_level": late.level if late else None}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(400, "invalid_parameter", f"{name} must be a case id (digits)")
    return int(value)


def _only_parameters(*known: str) -> None:
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown query parameter(s): {', '.join(unknown)[:200]}")


def _one_of(value: str, allowed: list[str], name: str) -> str:
    if value not in allowed:
        raise ApiError(400, "invalid_parameter", f"{name} must be one of {', '.join(allowed)}")
    return value


def _limit() -> int:
    raw = request.args.get("limit", str(PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise ApiError(400, "invalid_parameter", "limit must be a whole number from 1 to 200")
    return int(raw)
