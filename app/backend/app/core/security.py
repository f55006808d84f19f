"""Verification of the short-lived HS256 JWTs the frontend's server side mints (docs/ARCHITECTURE.md)."""

import jwt

ALGORITHM = "HS256"
ISSUER = "todo-chatbot-frontend"
AUDIENCE = "todo-chatbot-backend"
# The contract caps a token's life at 5 minutes; a longer-lived token is not one the frontend minted.
MAX_LIFETIME_SECONDS = 300
CLOCK_SKEW_SECONDS = 10
MAX_USER_ID_LENGTH = 255


class InvalidTokenError(Exception):
    """The bearer token cannot be trusted; the message is safe to show to the caller."""


def user_id_from_token(token: str, secret: str) -> str:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidTokenError("token has expired") from error
    except jwt.InvalidAudienceError as error:
        raise InvalidTokenError("token has the wrong audience") from error
    except jwt.InvalidIssuerError as error:
        raise InvalidTokenError("token has the wrong issuer") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidTokenError("token signature is invalid") from error
    except jwt.PyJWTError as error:
        raise InvalidTokenError(f"token is invalid: {error}") from error

    if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
        raise InvalidTokenError(f"token lifetime exceeds {MAX_LIFETIME_SECONDS} seconds")
    user_id = claims["sub"]
    if not user_id or len(user_id) > MAX_USER_ID_LENGTH or "\x00" in user_id:
        raise InvalidTokenError("token subject is not a valid user id")
    return str(user_id)
