"""The API on localhost: HTTP requests become API Gateway events for the real Lambda handler.

Nothing here re-implements the API: `events` translates HTTP <-> API Gateway payloads (v2 or v1) and
`server` runs a small threaded HTTP server around `lambda_api.handler.handler`, plus optional static pages.
"""
