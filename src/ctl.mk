# src/ control socket server, vipctl client side, and their tests.
