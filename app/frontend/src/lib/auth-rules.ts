/** Shared by the sign-up form (browser) and Better Auth's configuration (server). */
export const MIN_PASSWORD_LENGTH = 8;
