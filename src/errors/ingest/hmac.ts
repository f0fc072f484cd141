/** Request signing lives in the core (src/http/hmac.ts); SDK tests and scripts import it from here. */
export { type SignatureCheck, sign, verifySignature } from '../../http/hmac'
