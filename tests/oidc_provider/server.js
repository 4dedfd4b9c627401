// A real OpenID Connect provider for the portal's login tests: panva's certified oidc-provider,
// one confidential client, accounts kept in memory and set by the tests, and a few ways to hand
// out a bad ID token. Started by tests/oidc_provider/fixtures.py; never for production.
//
// Environment:
//   PORT                        listens on 127.0.0.1:PORT; the issuer is http://127.0.0.1:PORT
//   PROVIDER_NAME               shown on its pages and prefixed to its cookie names (default "op")
//   CLIENT_ID, CLIENT_SECRET    the one client (token_endpoint_auth_method client_secret_basic)
//   REDIRECT_URIS               comma-separated
//   POST_LOGOUT_REDIRECT_URIS   comma-separated
//   EXIT_WITH_STDIN=1           exits when its standard input closes (its test run ended,
//                               even if killed)
//
// Wildcard port: a redirect or post-logout URI written as http://127.0.0.1:*/path (or
// http://localhost:*/path) allows that exact path and query on any port of that loopback host,
// so a test can register the provider before Django's live server has picked its port. Only a
// loopback host may have a wildcard, and only in the port.
//
// Test control, plain JSON on the same port, answered before the provider's own routes:
//   GET    /__test__/health                 200 "ok"
//   GET    /__test__/accounts               all accounts
//   PUT    /__test__/accounts/<sub>         body: claims; creates or replaces the account
//   DELETE /__test__/accounts/<sub>         removes it (a login as it is then refused)
//   DELETE /__test__/accounts               removes all
//   GET    /__test__/mode, PUT /__test__/mode {"mode": m}: normal, foreign-key, wrong-issuer,
//                                           wrong-audience, no-nonce (see tamper below)
//   POST   /__test__/reset                  mode normal, no accounts, no sessions or grants
//   GET    /__test__/last-token-request     what the last token request sent and got
import { randomBytes } from 'node:crypto';

import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`oidc test provider: ${name} is not set`);
    process.exit(2);
  }
  return value;
};
const list = (value) => value.split(',').map((item) => item.trim()).filter(Boolean);

const PORT = Number(env('PORT'));
const NAME = env('PROVIDER_NAME', 'op');
const CLIENT_ID = env('CLIENT_ID');
const CLIENT_SECRET = env('CLIENT_SECRET');
const ISSUER = `http://127.0.0.1:${PORT}`;

const SCOPE_CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'unit'],
  groups: ['groups'],
};
const ACCOUNT_CLAIMS = new Set(Object.values(SCOPE_CLAIMS).flat().filter((claim) => claim !== 'sub'));
const TOKEN_PATH = '/token';
const MODES = new Set(['normal', 'foreign-key', 'wrong-issuer', 'wrong-audience', 'no-nonce']);

// --- Redirect URIs, with the loopback wildcard port -------------------------------------------

const WILDCARD = /^http:\/\/(127\.0\.0\.1|localhost):\*(\/.*)$/;

function splitUris(name) {
  const exact = [];
  const patterns = [];
  for (const uri of list(env(name))) {
    if (!uri.includes('*')) {
      exact.push(uri);
      continue;
    }
    const match = WILDCARD.exec(uri);
    if (!match) {
      console.error(`oidc test provider: ${name}: only a loopback port may be "*": ${uri}`);
      process.exit(2);
    }
    patterns.push({ host: match[1], rest: match[2] });
  }
  return { exact, patterns };
}

function matchesPattern(value, patterns) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || url.port === '' || url.username || url.password || url.hash) {
    return false;
  }
  return patterns.some(({ host, rest }) => url.hostname === host
    && `http://${host}:${url.port}${rest}` === value);
}

const redirects = splitUris('REDIRECT_URIS');
const postLogoutRedirects = splitUris('POST_LOGOUT_REDIRECT_URIS');
// The client's registered metadata must hold valid URLs: a wildcard is registered with port 1
// (never served) and matched by the checks overridden below.
const registered = ({ exact, patterns }) => [
  ...exact, ...patterns.map(({ host, rest }) => `http://${host}:1${rest}`),
];

// --- State ---------------------------------------------------------------------------------------

const accounts = new Map();
let mode = 'normal';
let lastTokenRequest = null;

class Store {
  #entries = new Map();

  get(key) {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt && entry.expiresAt < Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  set(key, value, options) {
    const expiresAt = options?.maxAge ? Date.now() + options.maxAge : 0;
    this.#entries.set(key, { value, expiresAt });
  }

  delete(key) {
    this.#entries.delete(key);
  }

  clear() {
    this.#entries.clear();
  }
}

const store = new Store();

// Sessions, interactions, codes, tokens and grants: in memory, cleared by /__test__/reset.
class Adapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const options = expiresIn ? { maxAge: expiresIn * 1000 } : undefined;
    store.set(this.key(id), payload, options);
    if (payload.grantId) {
      const members = store.get(`grant:${payload.grantId}`) ?? [];
      store.set(`grant:${payload.grantId}`, [...members, this.key(id)]);
    }
    if (payload.uid) {
      store.set(`sessionUid:${payload.uid}`, id, options);
    }
    if (payload.userCode) {
      store.set(`userCode:${payload.userCode}`, id, options);
    }
  }

  async find(id) {
    return store.get(this.key(id));
  }

  async findByUid(uid) {
    const id = store.get(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = store.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = store.get(this.key(id));
    if (payload) {
      payload.consumed = Math.floor(Date.now() / 1000);
    }
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of store.get(`grant:${grantId}`) ?? []) {
      store.delete(key);
    }
    store.delete(`grant:${grantId}`);
  }
}

// --- Keys ----------------------------------------------------------------------------------------

const KID = `${NAME}-${randomBytes(6).toString('hex')}`;
const realKeys = await generateKeyPair('RS256', { extractable: true });
const foreignKeys = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(realKeys.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };

// --- Pages ---------------------------------------------------------------------------------------

const escape = (value) => String(value).replace(/[&<>"']/g, (char) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
})[char]);

function page(title, body) {
  // No outside resources: the test machines have no internet.
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(title)} – ${escape(NAME)}</title>
  <style>
    body { font-family: sans-serif; margin: 2em auto; max-width: 24em; }
    input, button { display: block; width: 100%; margin: 0 0 .75em; padding: .5em; box-sizing: border-box; }
    .error { color: #a00; }
  </style>
</head>
<body>
  <main>
    <h1>${escape(title)}</h1>
    <p>Test identity provider <strong>${escape(NAME)}</strong></p>
    ${body}
  </main>
</body>
</html>`;
}

function loginPage(uid, { login = '', error } = {}) {
  return page('Sign-in', `
    ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
    <form autocomplete="off" action="/interaction/${escape(uid)}/login" method="post">
      <label for="login">Login</label>
      <input required type="text" id="login" name="login" value="${escape(login)}" autofocus>
      <label for="password">Password</label>
      <input required type="password" id="password" name="password">
      <button type="submit">Sign-in</button>
    </form>
    <p><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>`);
}

// --- Provider ------------------------------------------------------------------------------------

const configuration = {
  adapter: Adapter,
  routes: { token: TOKEN_PATH },
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: registered(redirects),
    post_logout_redirect_uris: registered(postLogoutRedirects),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingJwk] },
  claims: SCOPE_CLAIMS,
  scopes: Object.keys(SCOPE_CLAIMS),
  // Every claim of the granted scopes goes into the ID token too: no userinfo call is needed.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: {
    // Cookies are per host, not per port: two providers and the portal on 127.0.0.1 would
    // overwrite each other's cookies under the default names.
    names: {
      session: `${NAME}_session`,
      interaction: `${NAME}_interaction`,
      resume: `${NAME}_interaction_resume`,
    },
    keys: [randomBytes(32).toString('hex')],
    long: { httpOnly: true, sameSite: 'lax', secure: false },
    short: { httpOnly: true, sameSite: 'lax', secure: false },
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // Confirms the logout without a click: the form posts itself (logout=yes), with a button
      // for a browser without JavaScript.
      async logoutSource(ctx, form) {
        const autoForm = form.replace(
          '</form>',
          '<input type="hidden" name="logout" value="yes"/>'
            + '<noscript><button type="submit">Yes, sign me out</button></noscript></form>',
        );
        ctx.type = 'html';
        ctx.body = page('Signing out', `${autoForm}
    <script>document.forms[0].submit();</script>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    if (!accounts.has(sub)) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims() {
        return { ...accounts.get(sub), sub };
      },
    };
  },
  // No consent screen: every authorization gets a fresh grant of all scopes and claims.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      accountId: ctx.oidc.account.accountId,
      clientId: ctx.oidc.client.clientId,
    });
    grant.addOIDCScope(Object.keys(SCOPE_CLAIMS).join(' '));
    grant.addOIDCClaims(Object.values(SCOPE_CLAIMS).flat());
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<p class="error" role="alert">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
};

const provider = new Provider(ISSUER, configuration);

const { redirectUriAllowed, postLogoutRedirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function allowed(value) {
  return redirectUriAllowed.call(this, value) || matchesPattern(value, redirects.patterns);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function allowed(value) {
  return postLogoutRedirectUriAllowed.call(this, value)
    || matchesPattern(value, postLogoutRedirects.patterns);
};

// --- Test control, interactions and token tampering: Koa middleware before the routes -----------

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'json';
  ctx.body = JSON.stringify(body);
}

async function testControl(ctx) {
  const path = ctx.path.slice('/__test__'.length);
  const { method } = ctx;
  const accountMatch = /^\/accounts\/(.+)$/.exec(path);

  if (method === 'GET' && path === '/health') {
    ctx.type = 'text';
    ctx.body = 'ok';
  } else if (method === 'GET' && path === '/accounts') {
    json(ctx, 200, Object.fromEntries(accounts));
  } else if (method === 'DELETE' && path === '/accounts') {
    accounts.clear();
    ctx.status = 204;
  } else if (accountMatch && method === 'PUT') {
    const sub = decodeURIComponent(accountMatch[1]);
    let claims;
    try {
      claims = JSON.parse(await readBody(ctx.req));
    } catch {
      json(ctx, 400, { error: 'body is not JSON' });
      return;
    }
    const unknown = Object.keys(claims ?? {}).filter((claim) => !ACCOUNT_CLAIMS.has(claim));
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims) || unknown.length) {
      json(ctx, 400, { error: `claims must be an object of ${[...ACCOUNT_CLAIMS].join(', ')}; unknown: ${unknown.join(', ')}` });
      return;
    }
    accounts.set(sub, claims);
    json(ctx, 200, { sub, ...claims });
  } else if (accountMatch && method === 'DELETE') {
    accounts.delete(decodeURIComponent(accountMatch[1]));
    ctx.status = 204;
  } else if (method === 'GET' && path === '/mode') {
    json(ctx, 200, { mode });
  } else if (method === 'PUT' && path === '/mode') {
    let body;
    try {
      body = JSON.parse(await readBody(ctx.req));
    } catch {
      body = {};
    }
    if (!MODES.has(body?.mode)) {
      json(ctx, 400, { error: `mode must be one of ${[...MODES].join(', ')}` });
      return;
    }
    ({ mode } = body);
    json(ctx, 200, { mode });
  } else if (method === 'POST' && path === '/reset') {
    mode = 'normal';
    accounts.clear();
    store.clear();
    lastTokenRequest = null;
    ctx.status = 204;
  } else if (method === 'GET' && path === '/last-token-request') {
    json(ctx, 200, lastTokenRequest);
  } else {
    json(ctx, 404, { error: `no test route ${method} ${ctx.path}` });
  }
}

async function interaction(ctx, uid, action) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) {
    ctx.throw(400, 'interaction mismatch');
  }
  const finish = async (result) => {
    const url = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: false,
    });
    ctx.status = 303;
    ctx.redirect(url);
  };

  if (action === 'abort') {
    await finish({ error: 'access_denied', error_description: 'End-User aborted interaction' });
    return;
  }
  if (details.prompt.name !== 'login') {
    // The grant from loadExistingGrant covers any consent; nothing else is prompted for.
    ctx.throw(501, `prompt ${details.prompt.name} not implemented`);
  }
  if (ctx.method === 'GET' && action === undefined) {
    ctx.type = 'html';
    ctx.body = loginPage(uid, { login: details.params.login_hint ?? '' });
    return;
  }
  if (ctx.method === 'POST' && action === 'login') {
    const form = new URLSearchParams(await readBody(ctx.req));
    const login = form.get('login') ?? '';
    if (!accounts.has(login)) {
      // Any password is accepted, but only for an account the test has set.
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, { login, error: `Unknown account: ${login}` });
      return;
    }
    await finish({ login: { accountId: login } });
    return;
  }
  ctx.throw(405);
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The ID token as the mode spoils it: signed by another key under the real kid, or a changed
// claim signed by the real key. The header (alg, kid, typ) is kept as it was.
async function tamper(idToken) {
  const [headerPart, payloadPart] = idToken.split('.');
  const header = b64json(headerPart);
  const payload = b64json(payloadPart);
  let key = realKeys.privateKey;
  if (mode === 'foreign-key') {
    key = foreignKeys.privateKey;
  } else if (mode === 'wrong-issuer') {
    payload.iss = 'http://127.0.0.1:1/evil';
  } else if (mode === 'wrong-audience') {
    payload.aud = 'some-other-client';
  } else if (mode === 'no-nonce') {
    delete payload.nonce;
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__test__/')) {
    await testControl(ctx);
    return;
  }
  const interactionMatch = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(ctx.path);
  if (interactionMatch) {
    ctx.set('cache-control', 'no-store');
    try {
      await interaction(ctx, interactionMatch[1], interactionMatch[2]);
    } catch (error) {
      ctx.status = error.status ?? error.statusCode ?? 500;
      ctx.type = 'html';
      ctx.body = page('Error', `<p class="error" role="alert">${escape(error.error ?? error.name)}: ${escape(error.error_description ?? error.message)}</p>`);
    }
    return;
  }

  await next();

  if (ctx.method === 'POST' && ctx.path === TOKEN_PATH) {
    const auth = ctx.get('authorization');
    const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
    lastTokenRequest = {
      status: ctx.status,
      mode,
      authMethod: auth.startsWith('Basic ') ? 'client_secret_basic' : 'body',
      clientId: ctx.oidc?.client?.clientId ?? null,
      params: Object.fromEntries(Object.entries(ctx.oidc?.params ?? {}).filter(([, v]) => v !== undefined)),
      error: body.error ? { error: body.error, error_description: body.error_description } : null,
      idTokenClaims: body.id_token ? b64json(body.id_token.split('.')[1]) : null,
    };
    if (ctx.status === 200 && body.id_token && mode !== 'normal') {
      ctx.body = { ...body, id_token: await tamper(body.id_token) };
    }
  }
});

provider.on('server_error', (ctx, error) => {
  console.error('oidc test provider: server error', error);
});

if (process.env.EXIT_WITH_STDIN === '1') {
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}

provider.listen(PORT, '127.0.0.1', () => {
  console.log(`oidc test provider ${NAME} listening on ${ISSUER}`);
});
