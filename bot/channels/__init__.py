"""Channel adapters: platform updates in, Replies out. Only an adapter imports its platform."""
