"""The OpenAPI 3.1 description of API v1 (kept beside the routes; a test checks they agree)."""

from __future__ import annotations

from ...domain.formats import SlotSettings


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# Every error a client can meet, by status; an operation lists the ones that can happen to it.
_ERRORS = {
    "401": ("Error", "No bearer token, or not a live one (expired, revoked)"),
    "403": ("Error", "The token's account may not do this (a member's or a coordinator's "
                     "operation)"),
    "404": ("Error", "Not found"),
    "409": ("Error", "Someone changed it first, or its state does not allow this"),
    "422": ("ValidationErrors", "Invalid input: each field with its messages"),
    "429": ("Error", "Too many attempts: wait for the Retry-After seconds"),
}


def errors(*codes: str) -> dict:
    return {code: _json(_ref(_ERRORS[code][0]), _ERRORS[code][1]) for code in codes}


ERR = errors("422", "404")
AUTH = [{"bearer": []}]
_429_HEADERS = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}


def _limited(responses: dict) -> dict:
    """The 429 of a rate-limited operation carries Retry-After."""
    responses["429"] = dict(responses["429"], headers=_429_HEADERS)
    return responses


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _id_param(name: str = "id") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


_NULLABLE_NUMBER = {"type": ["number", "null"]}
_NAMED = {"type": "object", "required": ["id", "name"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}}}


def openapi_document(settings: SlotSettings | None = None, max_limit: int = 60) -> dict:
    """The document; ``settings`` are the slot rules in force (lead time, window, cut)."""
    settings = settings or SlotSettings()
    q = lambda name, desc, required=True, schema=None: {  # noqa: E731
        "name": name, "in": "query", "required": required, "description": desc,
        "schema": schema or {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "LectureOrder API (宣讲点单)", "version": "1.0.0",
                 "description": "Times are ISO 8601 with offset (+08:00); dates YYYY-MM-DD. "
                                "Every error is JSON with a message."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
                "ValidationErrors": {"type": "object", "required": ["errors"], "properties": {
                    "errors": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}}}},
                "Slot": {"type": "object", "required": ["start", "end", "label"], "properties": {
                    "start": {"type": "string", "format": "date-time"},
                    "end": {"type": "string", "format": "date-time",
                            "description": "exclusive: a slot is [start, end)"},
                    "label": {"type": "string", "description":
                              "for people, in the request's language, with the lunar date, e.g. "
                              "农历十月三十（12月8日 周二）09:30–11:30; a provisional slot's "
                              "label ends in （待定） / (provisional)"},
                    "provisional": {"type": "boolean", "description":
                                    "true when the State Council's holiday arrangement for the "
                                    "slot's year is not published yet (放假安排未公布): the days "
                                    "off are estimated from the statutory holidays and the "
                                    "customary breaks (National Day 1–7 Oct, Labour Day "
                                    "1–5 May, Spring Festival 除夕 to 初六), so the slot may "
                                    "still change; left out otherwise"},
                    "notes": {"type": "array", "items": {"type": "string"},
                              "description": "reminders for the people running it"}}},
                "Market": {"type": "object", "required": [
                    "id", "name", "cycle", "opens", "closes", "missing_30", "pauses",
                    "spring_festival_pause"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
                    "cycle": _ref("Cycle"),
                    "opens": {"type": "string", "description": "HH:MM, local"},
                    "closes": {"type": "string", "description": "HH:MM, local"},
                    "missing_30": {"enum": ["skip", "next"], "description":
                                   "a cycle using day 30 in a 29-day lunar month: that market "
                                   "is skipped, or held on the next day (初一)"},
                    "pauses": {"type": "array", "description":
                               "periods without market, first and last day included",
                               "items": {"type": "object", "required": ["first", "last"],
                                         "properties": {
                                             "first": {"type": "string", "format": "date"},
                                             "last": {"type": "string", "format": "date"}}}},
                    "spring_festival_pause": {
                        "type": ["object", "null"], "description":
                        "no market from days_before days before lunar new year's day (正月初一) "
                        "to days_after days after it, both included; null: no such pause",
                        "required": ["days_before", "days_after"], "properties": {
                            "days_before": {"type": "integer", "minimum": 0, "maximum": 60},
                            "days_after": {"type": "integer", "minimum": 0, "maximum": 60}}},
                    "description": {"type": ["string", "null"],
                                    "description": "the whole rule in words, in the request's "
                                                   "language"}}},
                "Place": {"type": "object", "required": ["id", "name"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]}}},
                "Cycle": {"type": "object", "required": ["calendar"], "properties": {
                    "calendar": {"enum": ["lunar", "solar", "weekday"]},
                    "digits": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}},
                    "days": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 30}},
                    "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7}}}},
                "OrderIn": {"type": "object", "required": [
                    "topics", "format", "place", "audience", "window", "requester"], "properties": {
                    "topics": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "format": {"enum": ["field_class", "market_talk", "mobile_film", "school_talk"]},
                    "place": {"type": "object", "required": ["kind", "id"], "properties": {
                        "kind": {"enum": ["village", "school", "market"]}, "id": {"type": "integer"}}},
                    "audience": {"type": "object", "required": ["type", "size"], "properties": {
                        "type": {"type": "string"}, "size": {"type": "integer", "minimum": 1, "maximum": 5000}}},
                    "window": {"type": "object", "required": ["earliest", "latest"], "properties": {
                        "earliest": {"type": "string", "format": "date"},
                        "latest": {"type": "string", "format": "date"}}},
                    "requester": {"type": "object", "required": ["name", "phone"], "properties": {
                        "name": {"type": "string", "maxLength": 40},
                        "organisation": {"type": "string", "maxLength": 80},
                        "phone": {"type": "string"}}},
                    "channel": {"enum": ["qr", "phone", "walk_in", "cadre"]},
                    "timing": {"enum": ["any", "next", "date"], "default": "any",
                               "description": "any time in the window, the next possible day "
                                              "(next market day), or exactly window.earliest"},
                    "notes": {"type": "string", "maxLength": 500},
                    "questions": {"type": "array", "maxItems": 3, "description":
                                  "群众点题: what the requester most wants answered",
                                  "items": {"type": "string", "maxLength": 60}},
                    "confirm_repeat": {"type": "boolean", "default": False, "description":
                                       "true: place it even though the same phone ordered a "
                                       "talk on one of these topics at this place within 24 "
                                       "hours (otherwise 409 with earlier_code)"}}},
                "RepeatOrder": {"type": "object", "required": ["error", "status", "earlier_code"],
                                "properties": {"error": {"type": "string"},
                                               "status": {"type": "integer"},
                                               "earlier_code": {"type": "string"}}},
                "Question": {"type": "object", "required": ["id", "text", "origin", "answered"],
                             "properties": {"id": {"type": "integer"},
                                            "text": {"type": "string"},
                                            "origin": {"enum": ["order", "asked"]},
                                            "answered": {"type": "boolean"}}},
                "OrderStatus": {"type": "object", "required": [
                    "code", "status", "status_label", "topics", "format", "window", "schedule",
                    "member", "phone", "rating", "can_cancel", "can_rate", "questions"],
                    "properties": {
                    "questions": {"type": "array", "items": {"type": "string"}},
                    "code": {"type": "string"}, "status": {"enum": [
                        "submitted", "offered", "scheduled", "delivered", "closed",
                        "needs_attention", "cancelled"]},
                    "status_label": {"type": "string"},
                    "topics": {"type": "array", "items": {
                        "type": "object", "required": ["code", "title"], "properties": {
                            "code": {"type": "string"}, "title": {"type": "string"}}}},
                    "format": {"type": "string"},
                    "window": {"type": "object", "required": ["earliest", "latest"],
                               "properties": {
                                   "earliest": {"type": "string", "format": "date"},
                                   "latest": {"type": "string", "format": "date"}}},
                    "schedule": {"type": ["object", "null"], "required": ["start", "end", "venue"],
                                 "properties": {
                                     "start": {"type": "string", "format": "date-time"},
                                     "end": {"type": "string", "format": "date-time"},
                                     "venue": {"type": "string"}}},
                    "member": {"type": ["object", "null"], "required": ["name"],
                               "properties": {"name": {"type": "string"}}},
                    "phone": {"type": "string", "description": "masked, e.g. 138****1234"},
                    "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                    "can_cancel": {"type": "boolean"}, "can_rate": {"type": "boolean"}}},
                "MenuItem": {"type": "object", "required": ["code", "title", "summary", "formats"],
                             "properties": {
                                 "code": {"type": "string"}, "title": {"type": "string"},
                                 "summary": {"type": "string"},
                                 "formats": {"type": "array", "items": {"type": "string"}},
                                 "typical_minutes": {"type": ["integer", "null"]}}},
                "Token": {"type": "object", "required": ["token", "role"], "properties": {
                    "token": {"type": "string"},
                    "role": {"enum": ["member", "coordinator", "admin"]}}},
                "ScorePart": {"type": "object", "required": [
                    "name", "label", "weight", "value", "points", "note"], "properties": {
                    "name": {"type": ["string", "null"], "description": "a stable code"},
                    "label": {"type": "string"}, "note": {"type": "string"},
                    "weight": _NULLABLE_NUMBER, "value": _NULLABLE_NUMBER,
                    "points": _NULLABLE_NUMBER}},
                "Requester": {"type": "object", "required": ["name", "organisation", "phone"],
                              "properties": {
                                  "name": {"type": "string"},
                                  "organisation": {"type": "string"},
                                  "phone": {"type": "string", "description":
                                            "masked (138****1234) unless stated otherwise"}}},
                "Audience": {"type": "object", "required": ["type", "size"], "properties": {
                    "type": {"type": "string"}, "size": {"type": "integer"}}},
                "Offer": {"type": "object", "required": [
                    "id", "status", "expires_at", "score", "parts", "shared_with", "slots",
                    "order"], "properties": {
                    "id": {"type": "integer"}, "status": {"type": "string"},
                    "expires_at": {"type": "string", "format": "date-time"},
                    "score": {"type": "number"},
                    "parts": {"type": "array", "items": _ref("ScorePart")},
                    "shared_with": {"type": "integer", "minimum": 0},
                    "slots": {"type": "array", "items": _ref("Slot")},
                    "order": {"type": "object", "required": [
                        "code", "format", "topics", "place", "audience", "window", "requester",
                        "notes"], "properties": {
                        "code": {"type": "string"}, "format": {"type": "string"},
                        "topics": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": "string"}, "title": {"type": "string"}}}},
                        "place": {"type": "object", "required": ["kind", "id", "name", "township"],
                                  "properties": {
                                      "kind": {"enum": ["village", "school", "market"]},
                                      "id": {"type": "integer"}, "name": {"type": "string"},
                                      "township": {"type": "string"}}},
                        "audience": _ref("Audience"),
                        "window": {"type": "object", "properties": {
                            "earliest": {"type": "string", "format": "date"},
                            "latest": {"type": "string", "format": "date"}}},
                        "requester": _ref("Requester"),
                        "notes": {"type": "string"},
                        "questions": {"type": "array", "items": _ref("Question")}}}}},
                "MemberSession": {"type": "object", "required": [
                    "id", "status", "format", "format_label", "start", "end", "venue",
                    "headcount", "signin_count", "order"], "properties": {
                    "id": {"type": "integer"},
                    "status": {"enum": ["scheduled", "delivered", "cancelled"]},
                    "format": {"type": "string"}, "format_label": {"type": "string"},
                    "start": {"type": "string", "format": "date-time"},
                    "end": {"type": "string", "format": "date-time", "description": "exclusive"},
                    "venue": {"type": "string"},
                    "headcount": {"type": ["integer", "null"]},
                    "signin_count": {"type": ["integer", "null"]},
                    "order": {"type": ["object", "null"], "required": [
                        "code", "topics", "audience", "requester", "notes", "questions"],
                        "properties": {
                        "code": {"type": "string"},
                        "topics": {"type": "array", "items": {"type": "string"}},
                        "audience": _ref("Audience"),
                        "requester": _ref("Requester"),
                        "notes": {"type": "string"},
                        "questions": {"type": "array", "items": _ref("Question")}}}}},
                "Member": {"type": "object", "required": [
                    "id", "name", "unit", "police_type", "active", "specialties", "formats",
                    "languages", "kit_qualified", "home_township", "vice_principal_of", "caps",
                    "leave"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "unit": {"type": ["string", "null"]},
                    "police_type": {"type": ["string", "null"]},
                    "active": {"type": "boolean"},
                    "specialties": {"type": "array", "items": {"type": "string"}},
                    "formats": {"type": "array", "items": {"type": "string"}},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "kit_qualified": {"type": ["boolean", "null"]},
                    "home_township": {"oneOf": [{"type": "null"}, _NAMED]},
                    "vice_principal_of": {"type": "array", "items": _NAMED},
                    "caps": {"type": "object", "required": ["daily", "weekly"], "properties": {
                        "daily": {"type": ["integer", "null"]},
                        "weekly": {"type": ["integer", "null"]}}},
                    "leave": {"type": "array", "items": {"type": "object", "properties": {
                        "start": {"type": "string"}, "end": {"type": "string"},
                        "reason": {"type": ["string", "null"]}}}}}},
                "Candidates": {"type": "object", "required": [
                    "code", "slots", "candidates", "excluded"], "properties": {
                    "code": {"type": "string"},
                    "slots": {"type": "array", "items": _ref("Slot")},
                    "candidates": {"type": "array", "items": {"type": "object", "required": [
                        "member_id", "name", "score", "parts", "free_slots", "helpers"],
                        "properties": {
                            "member_id": {"type": "integer"},
                            "name": {"type": ["string", "null"]},
                            "score": {"type": "number"},
                            "parts": {"type": "array", "items": _ref("ScorePart")},
                            "free_slots": {"type": "array", "items": _ref("Slot")},
                            "helpers": {"type": "array", "items": {"type": "integer"}}}}},
                    "excluded": {"type": "array", "items": {"type": "object", "required": [
                        "member_id", "name", "reasons", "messages"], "properties": {
                        "member_id": {"type": "integer"},
                        "name": {"type": ["string", "null"]},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                        "messages": {"type": "array", "items": {"type": "string"}}}}}}},
                "CoveragePlace": {"type": "object", "required": [
                    "kind", "id", "name", "township", "lat", "lon", "talks", "audience",
                    "last_talk", "months_since", "bucket", "not_reached", "topics"], "properties": {
                    "kind": {"enum": ["village", "school", "market"]},
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "township": _NAMED,
                    "lat": _NULLABLE_NUMBER, "lon": _NULLABLE_NUMBER,
                    "talks": {"type": "integer", "minimum": 0,
                              "description": "delivered sessions in the period"},
                    "audience": {"type": "integer", "minimum": 0,
                                 "description": "recorded headcounts of those sessions"},
                    "last_talk": {"type": ["string", "null"], "format": "date",
                                  "description": "the last delivered talk up to today, with the "
                                                 "township and topic filters; null: never"},
                    "months_since": {"type": ["integer", "null"], "minimum": 0,
                                     "description": "whole months from last_talk to today"},
                    "bucket": {"enum": ["0-3", "3-6", "6-12", "12plus", "never"]},
                    "not_reached": {"type": "boolean",
                                    "description": "no talk for `months` months or more"},
                    "topics": {"type": "array", "items": {"type": "object", "required": [
                        "code", "talks", "audience", "last_talk"], "properties": {
                        "code": {"type": "string"},
                        "talks": {"type": "integer", "minimum": 0},
                        "audience": {"type": "integer", "minimum": 0},
                        "last_talk": {"type": ["string", "null"], "format": "date"}}}}}},
                "Coverage": {"type": "object", "required": [
                    "from", "to", "today", "township", "topic", "months", "totals", "buckets",
                    "places", "not_reached"], "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "today": {"type": "string", "format": "date"},
                    "township": {"type": ["integer", "null"]},
                    "topic": {"type": ["string", "null"]},
                    "months": {"type": "integer", "minimum": 1, "maximum": 120},
                    "totals": {"type": "object", "required": [
                        "talks", "audience", "placed_talks", "placed_audience",
                        "unplaced_talks", "unplaced_audience"],
                        "description": "talks and audience equal the report's for the same "
                                       "period and filters; unplaced: sessions without an order",
                        "properties": {k: {"type": "integer"} for k in (
                            "talks", "audience", "placed_talks", "placed_audience",
                            "unplaced_talks", "unplaced_audience")}},
                    "buckets": {"type": "object", "required": [
                        "0-3", "3-6", "6-12", "12plus", "never"],
                        "description": "how many places fall in each months-since bucket",
                        "properties": {k: {"type": "integer", "minimum": 0} for k in (
                            "0-3", "3-6", "6-12", "12plus", "never")}},
                    "places": {"type": "array", "items": _ref("CoveragePlace")},
                    "not_reached": {"type": "array", "description":
                                    "never reached first, then the longest ago",
                                    "items": {"type": "object", "required": ["kind", "id"],
                                              "properties": {
                                                  "kind": {"enum": ["village", "school",
                                                                    "market"]},
                                                  "id": {"type": "integer"}}}}}},
                "Tracking": {"type": "object", "required": ["code", "phone_last4"], "properties": {
                    "code": {"type": "string"}, "phone_last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                    "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                    "comment": {"type": "string"}, "reason": {"type": "string"}}},
            },
        },
        "paths": {
            "/menu": {"get": {"summary": "The lecture menu", "responses": {
                "200": _json({"type": "array", "items": _ref("MenuItem")})}}},
            "/places": {"get": {"summary": "Townships with villages, schools and markets", "responses": {
                "200": _json({"type": "object", "required": ["townships"], "properties": {
                    "townships": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"},
                        "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
                        "villages": {"type": "array", "items": _ref("Place")},
                        "schools": {"type": "array", "items": _ref("Place")},
                        "markets": {"type": "array", "items": _ref("Market"),
                                    "description": "active markets only"}}}}}})}}},
            "/slots": {"get": {
                "summary": "Candidate slots for a format at a place",
                "description":
                    f"Earliest first. The window from..to holds at most "
                    f"{settings.max_window_days} days, both included (a longer one is 422). "
                    f"No slot starts sooner than {settings.min_lead_hours} hours from now. "
                    f"The list is cut after `limit` slots (default {settings.max_slots}, the "
                    f"slot rules' own cut): when slots were left out, the answer carries a "
                    f'`Link: <...>; rel="next"` header whose URL asks for the next ones (the '
                    f"same query with `from` set to the last slot's day and `after` to its "
                    f"start); no such header means the list is complete. The answer stays a "
                    f"JSON array.",
                "parameters": [
                    q("format", "field_class | market_talk | mobile_film | school_talk"),
                    q("place_kind", "village | school | market"),
                    q("place_id", "id of the place", schema={"type": "integer"}),
                    q("from", "first date", schema={"type": "string", "format": "date"}),
                    q("to", f"last date, included; at most {settings.max_window_days} days "
                            "after from", schema={"type": "string", "format": "date"}),
                    q("limit", f"at most this many slots (default {settings.max_slots})",
                      required=False, schema={"type": "integer", "minimum": 1,
                                              "maximum": max_limit,
                                              "default": settings.max_slots}),
                    q("after", "only slots starting after this time (the cursor the next link "
                               "carries)", required=False,
                      schema={"type": "string", "format": "date-time"})],
                "responses": {"200": {
                    "description": "OK",
                    "headers": {"Link": {"description":
                                         'rel="next": the URL of the slots left out, only when '
                                         "the list was cut", "schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {
                        "type": "array", "items": _ref("Slot")}}}}, **errors("422")}}},
            "/orders/possible": {"get": {
                "summary": "Can an order with this format, place, topics and window happen?",
                "description":
                    "The slot rules only (season, school days, market days, dusk, blackouts, "
                    "notice); who is free is decided after the order is placed. When not "
                    "possible, `reasons` say why in the request's language and `next_days` are "
                    "the first days after the window that would work (empty when none within a "
                    "year). `POST /orders` refuses the same orders with the same words (422).",
                "parameters": [
                    q("format", "field_class | market_talk | mobile_film | school_talk"),
                    q("place_kind", "village | school | market"),
                    q("place_id", "id of the place", schema={"type": "integer"}),
                    q("from", "first date", schema={"type": "string", "format": "date"}),
                    q("to", "last date, included", schema={"type": "string", "format": "date"}),
                    q("topics", "topic codes, comma-separated (optional)", required=False)],
                "responses": {"200": _json({
                    "type": "object", "required": ["possible", "reasons", "next_days"],
                    "properties": {
                        "possible": {"type": "boolean"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                        "next_days": {"type": "array", "items": {
                            "type": "object", "required": ["date", "label"],
                            "properties": {"date": {"type": "string", "format": "date"},
                                           "label": {"type": "string"}}}}}}),
                    **errors("422")}}},
            "/orders": {"post": {
                "summary": "Place an order",
                "description":
                    "Refused with 422 when no slot can exist for the format, place and window "
                    "(see GET /orders/possible). With an `Idempotency-Key` header the same key "
                    "and body answer with the first order's 201 body again; the same key with "
                    "another body is 422. Limited per requester phone (ORDER_PHONE_RATE_LIMIT, "
                    "orders placed) and per address (ORDER_ADDRESS_RATE_LIMIT), together with "
                    "the order form: 429 with Retry-After.",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 128}}],
                "requestBody": _body(_ref("OrderIn")),
                "responses": _limited({
                    "201": _json(_ref("OrderStatus"), "Created"),
                    "409": _json(_ref("RepeatOrder"), "The same phone ordered this talk at "
                                 "this place within 24 hours"),
                    **errors("422", "429")})}},
            "/orders/track": {"post": {"summary": "Status of an order (code + last 4 phone digits)",
                "requestBody": _body(_ref("Tracking")),
                "responses": _limited({"200": _json(_ref("OrderStatus")),
                                       **errors("404", "422", "429")})}},
            "/orders/cancel": {"post": {"summary": "Cancel an order not yet delivered",
                "requestBody": _body(_ref("Tracking")),
                "responses": _limited({"200": _json(_ref("OrderStatus")),
                                       **errors("404", "409", "422", "429")})}},
            "/orders/rate": {"post": {"summary": "Rate a delivered talk 1–5",
                "requestBody": _body(_ref("Tracking")),
                "responses": _limited({"200": _json(_ref("OrderStatus")),
                                       **errors("404", "409", "422", "429")})}},
            "/requester/code": {"post": {
                "summary": "Text a code that opens all orders of a phone",
                "description":
                    "Always 202 for a well-formed phone, whether or not it has orders: only a "
                    "phone with orders gets a text (one a 5-minute window; asking again within "
                    "it sends nothing new). The 6-digit code is accepted in the window it was "
                    "asked in and the two after it: at least 10, at most 15 minutes. Limited "
                    "per phone (REQUESTER_CODE_PHONE_LIMIT) and per address "
                    "(REQUESTER_CODE_ADDRESS_LIMIT), together with the /track page; a phone "
                    "gets at most SMS_DAILY_LIMIT_PER_PHONE texts a day (Beijing time), a code "
                    "over that is not sent.",
                "requestBody": _body({"type": "object", "required": ["phone"], "properties": {
                    "phone": {"type": "string", "description":
                              "as on the order (spaces, +86, full-width digits are fine)"}}}),
                "responses": _limited({
                    "202": _json({"type": "object", "required": ["message"], "properties": {
                        "message": {"type": "string"}, "status": {"type": "integer"}}},
                        "Accepted: a text is on its way if the phone has orders"),
                    **errors("422", "429")})}},
            "/requester/orders": {"post": {
                "summary": "All orders of a phone, with the code texted to it",
                "description":
                    "Newest first, each in the shape of POST /orders/track. A wrong or expired "
                    "code (or one never texted) is 422 on `code`. REQUESTER_CODE_TRIES tries "
                    "per phone while a code lives (15 minutes from the first), then 429 with "
                    "Retry-After; also limited per address (REQUESTER_ORDERS_ADDRESS_LIMIT).",
                "requestBody": _body({"type": "object", "required": ["phone", "code"],
                                      "properties": {
                                          "phone": {"type": "string"},
                                          "code": {"type": "string", "pattern": "^[0-9]{6}$"}}}),
                "responses": _limited({
                    "200": _json({"type": "array", "items": _ref("OrderStatus")}),
                    **errors("422", "429")})}},
            "/auth/token": {"post": {"summary": "Get a bearer token", "requestBody": _body({
                "type": "object", "required": ["username", "password"], "properties": {
                    "username": {"type": "string"}, "password": {"type": "string"}}}),
                "responses": _limited({"200": _json(_ref("Token")),
                                       "401": _json(_ref("Error"), "Wrong username or password"),
                                       **errors("422", "429")})},
                "delete": {"summary": "Revoke the bearer token sent with this request",
                    "description": "The app signs out: this token stops working at once (401 "
                                   "afterwards). Tokens expire on their own after API_TOKEN_DAYS; "
                                   "a password change or “sign out everywhere” revokes them all.",
                    "security": AUTH, "responses": {
                        "204": {"description": "Revoked"},
                        "401": _json(_ref("Error"), "No token, or not a live one")}}},
            "/member/offers": {"get": {"summary": "My open offers with proposed slots",
                "description": "`shared_with` counts the other members holding an open offer "
                               "for the same order (pool mode: the first to accept wins). Score "
                               "`parts` carry `name` (a stable code), `label` and `note` (in the "
                               "request's language), `weight`, `value` and `points`.",
                "security": AUTH, "responses": {
                    "200": _json({"type": "array", "items": _ref("Offer")}),
                    **errors("401", "403")}}},
            "/member/offers/{id}/accept": {"post": {"summary": "Accept an offer at one slot",
                "description": "The session answered carries the requester's full phone: the "
                               "member who takes the talk calls them.",
                "security": AUTH, "parameters": [_id_param()],
                "requestBody": _body({"type": "object", "required": ["slot_start"],
                                      "properties": {"slot_start": {
                                          "type": "string", "format": "date-time"}}}),
                "responses": {"200": _json({"type": "object", "required": ["session"],
                                            "properties": {"session": _ref("MemberSession")}}),
                              **errors("401", "403", "404"),
                              "409": _json(_ref("Error"), "Already taken or expired"),
                              **errors("422")}}},
            "/member/offers/{id}/decline": {"post": {"summary": "Decline an offer (reason required)",
                "security": AUTH, "parameters": [_id_param()],
                "requestBody": _body({"type": "object", "required": ["reason"],
                                      "properties": {"reason": {"type": "string"}}}),
                "responses": {"200": _json({"type": "object", "required": ["id", "status"],
                                            "properties": {"id": {"type": "integer"},
                                                           "status": {"type": "string"}}}),
                              **errors("401", "403", "404", "409", "422")}}},
            "/member/sessions": {"get": {"summary": "My sessions",
                "description": "Every session I lead or help at, earliest first. The "
                               "requester's phone is in full only where the member pages show "
                               "it: a scheduled session that ended at most 14 days ago or is "
                               "still to come; masked (138****1234) otherwise.",
                "security": AUTH, "responses": {
                    "200": _json({"type": "array", "items": _ref("MemberSession")}),
                    **errors("401", "403")}}},
            "/member/sessions/{id}/delivery": {"post": {"summary": "Record a delivery",
                "security": AUTH, "parameters": [_id_param()],
                "requestBody": _body({"type": "object", "required": ["headcount"],
                                      "properties": {
                                          "headcount": {"type": "integer", "minimum": 0},
                                          "signin_count": {"type": "integer", "minimum": 0},
                                          "notes": {"type": "string"},
                                          "answered": {
                                              "type": "array",
                                              "description": "群众点题: the session's questions "
                                              "answered at the talk, each by its 0-based "
                                              "position in the session's `questions` (or as "
                                              "`{\"id\": n}`); the others are stored as not "
                                              "answered. One not of this session is 422.",
                                              "items": {"oneOf": [
                                                  {"type": "integer", "minimum": 0},
                                                  {"type": "object", "required": ["id"],
                                                   "additionalProperties": False,
                                                   "properties": {"id": {"type": "integer"}}}]}},
                                          "asked": {
                                              "type": "array", "maxItems": 3,
                                              "description": "Questions raised on the spot "
                                              "(stored as answered, origin `asked`); blank "
                                              "ones are ignored, a longer one is 422, never cut.",
                                              "items": {"type": "string", "maxLength": 60}}}}),
                "responses": {"200": _json(_ref("MemberSession")),
                              **errors("401", "403", "404", "409", "422")}}},
            "/members": {"get": {"summary": "Team members (coordinators)", "security": AUTH,
                "responses": {"200": _json({"type": "array", "items": _ref("Member")}),
                              **errors("401", "403")}}},
            "/orders/{code}/candidates": {"get": {
                "summary": "Ranked candidates with score parts, and why others were excluded",
                "description": "Each part: `name` (stable code), `label` and `note` translated, "
                               "`weight`, `value`, `points`.",
                "security": AUTH, "parameters": [{"name": "code", "in": "path", "required": True,
                                                  "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("Candidates")),
                              **errors("401", "403", "404")}}},
            "/coverage": {"get": {
                "summary": "Coverage: every village, school and market with its last talk",
                "description": "The figures of /coord/coverage. A talk is a delivered session, "
                               "its audience the headcount recorded with the delivery; it counts "
                               "for the place of its order; the period runs in Beijing days, "
                               "both included (default: the last 12 months, as the reports). "
                               "A bad filter is 422.",
                "security": AUTH, "parameters": [
                    q("from", "first day (Beijing time)", required=False,
                      schema={"type": "string", "format": "date"}),
                    q("to", "last day, included", required=False,
                      schema={"type": "string", "format": "date"}),
                    q("township", "township id", required=False, schema={"type": "integer"}),
                    q("topic", "topic code", required=False),
                    q("months", "N of “not reached in N months” (default 12)", required=False,
                      schema={"type": "integer", "minimum": 1, "maximum": 120, "default": 12})],
                "responses": {"200": _json(_ref("Coverage")),
                              **errors("401", "403", "422")}}},
            "/sessions": {"get": {
                "summary": "Calendar feed: every session starting on the days from..to (at most 366)",
                "security": AUTH, "parameters": [
                    q("from", "first day (Beijing time)", schema={"type": "string", "format": "date"}),
                    q("to", "last day, included", schema={"type": "string", "format": "date"})],
                "responses": {"200": _json({"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "start", "end", "status", "format", "venue", "township",
                                 "member", "kit", "order_code", "topics"],
                    "properties": {
                        "id": {"type": "integer"},
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time", "description": "exclusive"},
                        "status": {"enum": ["scheduled", "delivered", "cancelled"]},
                        "format": {"enum": ["field_class", "market_talk", "mobile_film", "school_talk"]},
                        "venue": {"type": "string"},
                        "township": {"type": ["object", "null"], "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}}},
                        "member": {"type": "object", "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}}},
                        "kit": {"type": ["object", "null"], "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}}},
                        "order_code": {"type": ["string", "null"]},
                        "topics": {"type": "array", "items": {"type": "string"}}}}}),
                    **errors("401", "403", "422")}}},
        },
    }
