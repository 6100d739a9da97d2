"""Outgoing mail: templated replies rendered into the outbox, then delivered with retries."""
