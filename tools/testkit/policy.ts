// The CORS policy the integration, attack and container tests configure, and the origins it must allow and refuse.
export const POLICY_ENV = {
  CORS_ALLOW_ORIGINS: 'https://app.zebra.associates http://localhost:3001 https://*.preview.zebra.associates',
};
export const ALLOWED = ['https://app.zebra.associates', 'http://localhost:3001', 'https://pr-42.preview.zebra.associates'];
export const DENIED = [
  'https://evil.test',
  'https://app.zebra.associates.evil.test', // suffix attack
  'https://evilapp.zebra.associates', // prefix attack
  'https://appxzebra.associates', // unescaped dot
  'https://a.b.preview.zebra.associates', // wildcard is one label, not two
  'https://preview.zebra.associates', // nor zero
  'http://app.zebra.associates', // downgrade
  'https://app.zebra.associates:8443', // port change
  'https://app.zebra.associates/', // trailing slash
  'https://APP.zebra.associates', // case variant
  'null',
  'https://app.zebra.associates http://localhost:3001', // a list is not an origin
];
