import type { Request } from 'express';
import passport from 'passport';
import type { Principal } from '../principal.js';

/** Decides on one bearer credential: its principal, `false` when it is another strategy's kind, or an error (a problem). */
export type VerifyBearer = (credential: string, done: (error: unknown, principal?: Principal | false | null) => void) => void;

/**
 * Passport's strategy for `Authorization: Bearer <credential>`, read from the header only: a
 * credential in a query string or form body (which RFC 6750 also allows) ends up in access logs.
 * Each kind of credential is a subclass made with `PassportStrategy`, whose `validate(credential)`
 * decides; one that is not its kind passes to the next strategy, and a bad one is an error.
 */
export class BearerStrategy extends passport.Strategy {
  constructor(private readonly verify: VerifyBearer) {
    super();
  }

  override authenticate(request: Request): void {
    const credential = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!credential) return this.fail();
    this.verify(credential, (error, principal) => {
      if (error) this.error(error);
      else if (principal) this.success(principal);
      else this.fail();
    });
  }
}
