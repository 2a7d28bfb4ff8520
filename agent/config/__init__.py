"""The configuration: settings, once loaded and passed down, and the site's credentials."""
