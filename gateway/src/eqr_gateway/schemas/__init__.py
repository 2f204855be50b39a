"""The REST contract: request and response bodies, with bounds and OpenAPI examples."""
