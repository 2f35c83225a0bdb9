"""Assembly: settings, the Bolt app factory, the HTTP server and the command line."""
