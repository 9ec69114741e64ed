"""The OpenAPI 3.1 document of the sync API (written by hand; tests fuzz the API against it)."""

from __future__ import annotations

from typing import Any

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "Message in the user's language."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "question_id": {"type": ["string", "null"]},
                    "row": {"type": ["integer", "null"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

SUBMISSION_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "uuid",
        "questionnaire_id",
        "questionnaire_version",
        "area",
        "answers",
        "started_at",
        "ended_at",
        "sha256",
    ],
    "properties": {
        "uuid": {
            "type": "string",
            "pattern": UUID_PATTERN,
            "description": "Made by the tablet when the interview starts; the key.",
        },
        "questionnaire_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "questionnaire_version": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "The version the interview was started on.",
        },
        "area": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "Code of the assignment's area.",
        },
        "answers": {"type": "object", "description": "Answers keyed by question id."},
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": "string", "format": "date-time"},
        "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "Hex SHA-256 of the canonical JSON (sorted keys, no spaces, "
            "RFC 8785 numbers) of every other field.",
        },
    },
}

SUBMISSION_OUT = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string"},
        "questionnaire_id": {"type": "string"},
        "questionnaire_version": {"type": "string"},
        "area": {"type": "string"},
        "status": {"type": "string"},
        "answers": {
            "type": "object",
            "description": "Empty once a sensitive interview (women's module) is submitted.",
        },
        "answers_withheld": {
            "type": "boolean",
            "description": "True when the answers are withheld (sensitive, submitted).",
        },
        "sha256": {"type": ["string", "null"]},
        "started_at": {"type": ["string", "null"]},
        "ended_at": {"type": ["string", "null"]},
        "received_at": {"type": ["string", "null"]},
        "submitted_at": {"type": ["string", "null"]},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json({"$ref": "#/components/schemas/Error"}, description)


def openapi_document() -> dict[str, Any]:
    """Build the OpenAPI document served at /api/v1/openapi.json."""
    from ..indicators.api import openapi_paths as indicator_paths

    unauthorised = _error("No session and no valid token.")
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "gesurvey sync API",
            "version": "1",
            "description": "Published questionnaires, the enumerator's assignments, and "
            "exactly-once submission of finished interviews.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Personal token from `gesurvey users token NAME`.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "Browser session; unsafe methods need X-CSRFToken.",
                },
            },
            "schemas": {
                "Error": ERROR,
                "SubmissionIn": SUBMISSION_IN,
                "Submission": SUBMISSION_OUT,
            },
        },
        "paths": {
            "/questionnaires": {
                "get": {
                    "operationId": "listQuestionnaires",
                    "summary": "Newest published version of each questionnaire.",
                    "responses": {
                        "200": _json({"type": "object"}, "Summaries with links."),
                        "401": unauthorised,
                    },
                }
            },
            "/questionnaires/{questionnaire_id}/versions/{version}": {
                "get": {
                    "operationId": "getQuestionnaireVersion",
                    "summary": "A published version with compiled expression ASTs.",
                    "parameters": [
                        {
                            "name": "questionnaire_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "version",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": _json({"type": "object"}, "The definition."),
                        "401": unauthorised,
                        "404": _error("Not published."),
                    },
                }
            },
            "/assignments": {
                "get": {
                    "operationId": "listAssignments",
                    "summary": "The user's assignments.",
                    "responses": {
                        "200": _json({"type": "object"}, "Assignments."),
                        "401": unauthorised,
                    },
                }
            },
            "/returned": {
                "get": {
                    "operationId": "listReturned",
                    "summary": "The user's interviews returned for correction, with the "
                    "supervisor's comment; send the corrected interview to POST /submissions "
                    "under the same uuid (200, a new revision).",
                    "responses": {
                        "200": _json({"type": "object"}, "Returned interviews."),
                        "401": unauthorised,
                    },
                }
            },
            "/submissions": {
                "post": {
                    "operationId": "createSubmission",
                    "summary": "Send one finished interview (safe to resend).",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SubmissionIn"}
                            }
                        },
                    },
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/Submission"}, "Stored."),
                        "200": _json(
                            {"$ref": "#/components/schemas/Submission"},
                            "Already stored with the same content; the stored record.",
                        ),
                        "401": unauthorised,
                        "403": _error("Not an enumerator."),
                        "409": _error("Same UUID, different content: kept as a conflict."),
                        "413": _error("Too large."),
                        "422": _error("Field-level validation errors."),
                    },
                }
            },
            "/submissions/{uuid}": {
                "get": {
                    "operationId": "getSubmission",
                    "summary": "The stored record of one of the user's interviews.",
                    "parameters": [
                        {
                            "name": "uuid",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Submission"}, "Stored."),
                        "401": unauthorised,
                        "404": _error("Not found."),
                    },
                }
            },
        },
    }
    document["paths"].update(indicator_paths(unauthorised, _error, _json))
    return document
