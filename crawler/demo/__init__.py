"""The bundled demo marketplace (a local server in the platforms' real formats, with listings
written by us) and ``crawler demo``, which runs the whole product against it."""
