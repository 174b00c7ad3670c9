"""GET /openapi.json (generated from the routes and models) and GET /docs (Swagger UI)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types

from inventory_sync.api.routing import new_router

router = new_router()

SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>inventory-sync operator API</title>
  <link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
  <script>
    // relative, so it works behind an API Gateway stage prefix (/dev/docs -> /dev/openapi.json)
    window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui"});
  </script>
</body>
</html>
"""


@router.get("/openapi.json", include_in_schema=False)
def openapi_json():
    from inventory_sync.api.openapi import openapi_text

    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_text())


@router.get("/docs", include_in_schema=False)
def swagger_ui():
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=SWAGGER_UI)
