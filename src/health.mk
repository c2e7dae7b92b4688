# src/ health checks, tracking and notify scripts, and their tests.
