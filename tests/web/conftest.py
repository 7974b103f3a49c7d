"""The officials' workspace: an app wired on each backend like tests/http_api (demo officials, BPMN)."""

from tests.http_api.conftest import app_client, login  # noqa: F401 - fixtures shared with the API tests
