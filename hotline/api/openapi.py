"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from functools import lru_cache

from models.vocabulary import CASE_STATUSES, KINDS, SOURCES, URGENCIES

from .schemas import ReportIn


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


NULLABLE_STR = {"type": ["string", "null"]}
CASE = {
    "type": "object",
    "required": ["id", "reference", "status", "kind", "urgency", "source", "province_code", "level", "created_at"],
    "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string", "pattern": r"^1300-\d{2}-\d{6,}$"},
        "status": {"enum": list(CASE_STATUSES)},
        "kind": {"enum": [*KINDS, None]}, "urgency": {"enum": list(URGENCIES)},
        "source": {"enum": list(SOURCES)},
        "province_code": NULLABLE_STR, "district_code": NULLABLE_STR, "level": {"type": "integer"},
        "unacknowledged": {"type": "boolean"}, "outcome": NULLABLE_STR, "created_at": {"type": "string"},
        "acknowledged_at": NULLABLE_STR, "closed_at": NULLABLE_STR,
        "acknowledged_late": {"type": "boolean", "description": "acknowledged after a level's window had passed"},
        "missed_level": {"type": ["integer", "null"],
                         "description": "late: the level whose window passed first with nobody acknowledging"},
        "transitions": {"type": "array", "items": {"type": "object"}},
        "escalations": {"type": "array", "items": {"type": "object"}},
    },
}
NULLABLE_SECONDS = {"type": ["integer", "null"], "minimum": 0}
DESK = {  # casework.desk_record: null when the caller never asked for a person
    "answered_by": {**NULLABLE_STR, "description": "the username of the operator who answered"},
    "answered_at": {**NULLABLE_STR, "description": "when an operator answered (ISO 8601, UTC)"},
    "wait_seconds": {**NULLABLE_SECONDS, "description": "from asking for a person to being answered or leaving the line"},
    "talk_seconds": {**NULLABLE_SECONDS, "description": "from being answered to the end of the call"},
    "wrap_up_seconds": {**NULLABLE_SECONDS, "description": "the answering operator's wrap-up after the call"},
}
ERRORS = {"400": _error("bad request (invalid JSON or parameter)"), "401": _error("no valid token"),
          "429": _error("rate limited")}


@lru_cache(maxsize=1)
def document() -> dict:
    report = ReportIn.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = report.pop("$defs", {})
    return {
        "openapi": "3.1.0",
        "info": {"title": "1300 hotline API", "version": "1.0.0",
                 "description": "Reports from the Protect-U app, volunteers (อพม.) and agencies enter the hotline's "
                                "case pipeline; authorised systems read cases and calls."},
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": {
            "/api/v1/reports": {"post": {
                "operationId": "createReport", "summary": "Report suspected human trafficking",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReportIn"}}}},
                "responses": {"201": _json("Case", "case opened"), "200": _json("Case", "the same idempotency key and body (a retry): the same case"),
                              "403": _error("this token may not report"), "413": _error("body too large"),
                              "415": _error("not JSON"), "422": _error("invalid report, or idempotency_key_reused: the key was used before "
                                                            "with a different body (the first report stands)"), **ERRORS}}},
            "/api/v1/cases": {"get": {
                "operationId": "listCases", "summary": "Cases this token may see, newest first",
                "parameters": [
                    {"name": "before", "in": "query", "schema": {"type": "string", "pattern": r"^\d{1,12}$"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                    {"name": "status", "in": "query", "schema": {"enum": list(CASE_STATUSES)}},
                    {"name": "province", "in": "query", "schema": {"type": "string", "pattern": r"^\d{2}$"}}],
                "responses": {"200": _json("CaseList", "a page of cases"), **ERRORS}}},
            "/api/v1/cases/{reference}": {"get": {
                "operationId": "showCase", "summary": "One case with its transitions and escalations",
                "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json("Case", "the case"), "404": _error("no such case for this token"), **ERRORS}}},
            "/api/v1/calls/{call_sid}": {"get": {
                "operationId": "showCall", "summary": "One call; the caller's number masked unless the token may see it",
                "parameters": [{"name": "call_sid", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json("Call", "the call"), "404": _error("no such call for this token"), **ERRORS}}},
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **definitions, "ReportIn": report, "Case": CASE,
                "CaseList": {"type": "object", "required": ["cases", "next"], "properties": {
                    "cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
                    "next": {"type": ["object", "null"]}}},
                "Call": {"type": "object", "required": ["call_sid", "status", "caller", "has_recording"], "properties": {
                    "call_sid": {"type": "string"}, "status": {"type": "string"}, "caller": {"type": "string"},
                    "has_recording": {"type": "boolean"}, "case_reference": NULLABLE_STR, **DESK}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "fields": {"type": "array", "items": {"type": "object"}}}}}},
            },
        },
    }
