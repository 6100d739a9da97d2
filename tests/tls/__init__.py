"""TLS and XOAUTH2 against real servers on loopback."""
