"""The bundled snapshot: China customs first releases and sample consensus polls."""
