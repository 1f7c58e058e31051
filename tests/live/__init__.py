"""Tests of live meeting events."""
