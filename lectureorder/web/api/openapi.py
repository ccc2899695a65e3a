"""The OpenAPI 3.1 description of API v1 (kept beside the routes; a test checks they agree)."""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = {"422": _json(_ref("ValidationErrors"), "Invalid input"),
       "404": _json(_ref("Error"), "Not found")}
AUTH = [{"bearer": []}]


def openapi_document() -> dict:
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
                    "end": {"type": "string", "format": "date-time"},
                    "label": {"type": "string", "description": "with the lunar date"}}},
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
                "200": _json({"type": "object"})}}},
            "/slots": {"get": {"summary": "Candidate slots for a format at a place", "parameters": [
                q("format", "field_class | market_talk | mobile_film | school_talk"),
                q("place_kind", "village | school | market"),
                q("place_id", "id of the place", schema={"type": "integer"}),
                q("from", "first date", schema={"type": "string", "format": "date"}),
                q("to", "last date", schema={"type": "string", "format": "date"})],
                "responses": {"200": _json({"type": "array", "items": _ref("Slot")}), **ERR}}},
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
                    "token": {"type": "string"}}}), "401": _json(_ref("Error")), **ERR}}},
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
