"""The ``crawler`` command's sub-commands: one module per command group.

Every module here (except ``common``) defines ``register(app)``; ``crawler.cli`` finds and calls them
all, so a new command group is a new module, with no central list to edit.
"""
