"""How curators' passwords are stored: Argon2id at the parameters of the OWASP Password Storage
Cheat Sheet (19 MiB of memory, 2 passes, 1 lane).

Memory-hard, so a guesser's graphics cards gain little, and about 30 ms of one core per login
where Django's default (PBKDF2, 1,000,000 iterations) takes 0.4-0.5 s: on two cores busy with
an import and readers, that hash alone made a login wait over a second. Passwords stored by an
earlier hasher (settings.PASSWORD_HASHERS) still log in, and are stored again with this one.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"  # Django's own Argon2 format: a stored hash names its parameters
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
