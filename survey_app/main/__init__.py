"""Home page: send each role to its own starting screen."""
