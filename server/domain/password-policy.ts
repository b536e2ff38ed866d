// Password strength rules of upstream's user registration, in upstream's check order so the
// first error a client sees is the same one TTS would return.
import {
  commonPassword,
  passwordContainsUserId,
  passwordDigits,
  passwordSpecial,
  passwordTooLong,
  passwordTooShort,
  passwordUppercase,
} from "./error-catalog.js";
import { loadWordList } from "./word-lists.js";

export interface PasswordRequirements {
  /** Minimum UTF-8 byte length (bytes, not code points, as upstream). */
  minLength: number;
  /** Maximum UTF-8 byte length. */
  maxLength: number;
  minUppercase: number;
  minDigits: number;
  minSpecial: number;
  rejectUserId: boolean;
  rejectCommon: boolean;
}

/** Upstream production defaults (`is.user-registration.password-requirements.*`). */
export const defaultPasswordRequirements: Readonly<PasswordRequirements> = Object.freeze({
  minLength: 8,
  maxLength: 1000,
  minUppercase: 1,
  minDigits: 1,
  minSpecial: 0,
  rejectUserId: true,
  rejectCommon: false,
});

const commonPasswords = loadWordList("common-passwords.txt");

const UPPERCASE = /\p{Lu}/u;
const DECIMAL_DIGIT = /\p{Nd}/u;
// "Special" is anything that is neither a letter nor a number, so spaces and tabs count,
// while lowercase letters and non-decimal numbers such as ➉ count as nothing.
const SPECIAL = /[^\p{L}\p{N}]/u;

/** Throws the first violated policy error; returns normally when the password is acceptable. */
export function checkPassword(
  password: string,
  userId: string,
  requirements: PasswordRequirements = defaultPasswordRequirements,
): void {
  const byteLength = Buffer.byteLength(password, "utf8");
  if (byteLength < requirements.minLength) throw passwordTooShort({ n: requirements.minLength });
  if (byteLength > requirements.maxLength) throw passwordTooLong({ n: requirements.maxLength });

  let uppercase = 0;
  let digits = 0;
  let special = 0;
  for (const rune of password) {
    if (UPPERCASE.test(rune)) uppercase++;
    if (DECIMAL_DIGIT.test(rune)) digits++;
    if (SPECIAL.test(rune)) special++;
  }
  if (uppercase < requirements.minUppercase) throw passwordUppercase({ n: requirements.minUppercase });
  if (digits < requirements.minDigits) throw passwordDigits({ n: requirements.minDigits });
  if (special < requirements.minSpecial) throw passwordSpecial({ n: requirements.minSpecial });

  // Upstream would reject every password for an empty user ID (empty substring); we skip the check instead.
  if (requirements.rejectUserId && userId !== "" && password.toLowerCase().includes(userId.toLowerCase())) {
    throw passwordContainsUserId();
  }
  if (requirements.rejectCommon && commonPasswords.has(password.toLowerCase())) throw commonPassword();
}
