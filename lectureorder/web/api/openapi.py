"""The OpenAPI 3.1 description of API v1 (kept beside the routes; a test checks they agree)."""

from __future__ import annotations

from ...domain.formats import SlotSettings


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = {"422": _json(_ref("ValidationErrors"), "Invalid input"),
       "404": _json(_ref("Error"), "Not found")}
AUTH = [{"bearer": []}]


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
                    "notes": {"type": "string", "maxLength": 500}}},
                "OrderStatus": {"type": "object", "required": ["code", "status"], "properties": {
                    "code": {"type": "string"}, "status": {"type": "string"},
                    "status_label": {"type": "string"},
                    "schedule": {"type": ["object", "null"]},
                    "member": {"type": ["object", "null"]},
                    "phone": {"type": "string", "description": "masked, e.g. 138****1234"}}},
                "Tracking": {"type": "object", "required": ["code", "phone_last4"], "properties": {
                    "code": {"type": "string"}, "phone_last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                    "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                    "comment": {"type": "string"}, "reason": {"type": "string"}}},
            },
        },
        "paths": {
            "/menu": {"get": {"summary": "The lecture menu", "responses": {
                "200": _json({"type": "array", "items": {"type": "object", "properties": {
                    "code": {"type": "string"}, "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "formats": {"type": "array", "items": {"type": "string"}}}}})}}},
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
                        "type": "array", "items": _ref("Slot")}}}}, **ERR}}},
            "/orders": {"post": {"summary": "Place an order", "requestBody": {
                "required": True, "content": {"application/json": {"schema": _ref("OrderIn")}}},
                "responses": {"201": _json(_ref("OrderStatus"), "Created"), **ERR}}},
            "/orders/track": {"post": {"summary": "Status of an order (code + last 4 phone digits)",
                "requestBody": {"content": {"application/json": {"schema": _ref("Tracking")}}},
                "responses": {"200": _json(_ref("OrderStatus")), **ERR}}},
            "/orders/cancel": {"post": {"summary": "Cancel an order not yet delivered",
                "requestBody": {"content": {"application/json": {"schema": _ref("Tracking")}}},
                "responses": {"200": _json(_ref("OrderStatus")), "409": _json(_ref("Error")), **ERR}}},
            "/orders/rate": {"post": {"summary": "Rate a delivered talk 1–5",
                "requestBody": {"content": {"application/json": {"schema": _ref("Tracking")}}},
                "responses": {"200": _json(_ref("OrderStatus")), "409": _json(_ref("Error")), **ERR}}},
            "/auth/token": {"post": {"summary": "Get a bearer token", "requestBody": {
                "content": {"application/json": {"schema": {"type": "object", "required": [
                    "username", "password"], "properties": {"username": {"type": "string"},
                                                            "password": {"type": "string"}}}}}},
                "responses": {"200": _json({"type": "object", "properties": {
                    "token": {"type": "string"}}}), "401": _json(_ref("Error")), **ERR}},
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
                "security": AUTH, "responses": {"200": _json({"type": "array"}),
                                                "401": _json(_ref("Error"))}}},
            "/member/offers/{id}/accept": {"post": {"summary": "Accept an offer at one slot",
                "security": AUTH, "parameters": [{"name": "id", "in": "path", "required": True,
                                                  "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                    "required": ["slot_start"], "properties": {
                        "slot_start": {"type": "string", "format": "date-time"}}}}}},
                "responses": {"200": _json({"type": "object"}),
                              "409": _json(_ref("Error"), "Already taken or expired"), **ERR}}},
            "/member/offers/{id}/decline": {"post": {"summary": "Decline an offer (reason required)",
                "security": AUTH, "parameters": [{"name": "id", "in": "path", "required": True,
                                                  "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                    "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": _json({"type": "object"}), **ERR}}},
            "/member/sessions": {"get": {"summary": "My sessions", "security": AUTH,
                "responses": {"200": _json({"type": "array"})}}},
            "/member/sessions/{id}/delivery": {"post": {"summary": "Record a delivery",
                "security": AUTH, "parameters": [{"name": "id", "in": "path", "required": True,
                                                  "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                    "required": ["headcount"], "properties": {
                        "headcount": {"type": "integer", "minimum": 0},
                        "signin_count": {"type": "integer", "minimum": 0},
                        "notes": {"type": "string"}}}}}},
                "responses": {"200": _json({"type": "object"}), "409": _json(_ref("Error")), **ERR}}},
            "/members": {"get": {"summary": "Team members (coordinators)", "security": AUTH,
                "responses": {"200": _json({"type": "array"}), "403": _json(_ref("Error"))}}},
            "/orders/{code}/candidates": {"get": {
                "summary": "Ranked candidates with score parts, and why others were excluded",
                "description": "Each part: `name` (stable code), `label` and `note` translated, "
                               "`weight`, `value`, `points`.",
                "security": AUTH, "parameters": [{"name": "code", "in": "path", "required": True,
                                                  "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object"}), "403": _json(_ref("Error")),
                              "404": _json(_ref("Error"))}}},
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
                    "401": _json(_ref("Error")), "403": _json(_ref("Error")), **ERR}}},
        },
    }
