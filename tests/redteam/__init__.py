"""Adversarial submissions for the autograder's red-team tests."""
