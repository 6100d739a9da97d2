"""rightsbot's input side: mail sources, MIME parsing, screening, threading, the pipeline."""
