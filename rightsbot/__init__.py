"""The rightsbot command line: builds Settings and wires the parts together."""
