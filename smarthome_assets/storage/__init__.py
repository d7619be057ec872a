"""Where the pipeline keeps its files: a local directory, or S3 (any S3 endpoint)."""
