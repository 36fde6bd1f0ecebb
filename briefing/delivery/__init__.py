"""Delivery: the digest timer, subscriptions and the posting of digests and alerts."""
