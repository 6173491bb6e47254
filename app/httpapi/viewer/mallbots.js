// Starts the vendored Swagger UI on MallBots' contract. A file of its own,
// not an inline script, so that the page's Content-Security-Policy can
// allow scripts from 'self' only. No validator badge: it would send the
// contract to validator.swagger.io.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
