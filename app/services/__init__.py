"""Domain services: the rules of OneVisit, free of HTTP and of query syntax."""
