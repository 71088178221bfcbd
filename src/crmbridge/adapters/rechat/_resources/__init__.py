"""The Rechat API one resource a module: each module's endpoint builders and its sync and async classes.

``crmbridge.adapters.rechat.client`` re-exports what callers use; import from there.
"""
