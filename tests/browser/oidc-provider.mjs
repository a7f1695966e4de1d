// A real OpenID provider for the browser suite: the certified npm package
// `oidc-provider`, on loopback, with one confidential client (safelog) and
// a login page of its own where the test types the email to sign in as
// and ticks whether a second factor was used (the ID token's `amr`), and
// may give the groups the person is in (the ID token's `groups`, as Entra
// sends group object ids), separated by commas.
//
// Environment: REDIRECT_URI (safelog's /login/oidc/callback), CLIENT_ID,
// CLIENT_SECRET. Prints "listening ISSUER" once ready, on standard output.
import http from 'node:http';
import Provider from 'oidc-provider';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const groupsOf = new Map();

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  // The account is the email typed on the login page; its groups are
  // those typed at its latest sign-in (none: no `groups` claim at all).
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id, email: id, email_verified: true, name: id.split('@')[0],
      ...(groupsOf.has(id) ? { groups: groupsOf.get(id) } : {}),
    }),
  }),
  // amr with the openid scope, so that every ID token says how the person
  // signed in (Entra and Google decide that for themselves).
  claims: {
    openid: ['sub', 'amr', 'acr', 'auth_time', 'groups'], email: ['email', 'email_verified'], profile: ['name'],
    sid: null, iss: null,
  },
  // The scopes' claims in the ID token itself (safelog reads no userinfo),
  // as Entra and Google put them there.
  conformIdTokenClaims: false,
  scopes: ['openid', 'email', 'profile'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['browser-suite-only-cookie-key'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // safelog is the school's own application: no consent screen (the
  // "skipping consent" recipe of oidc-provider's documentation).
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

const page = (uid) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><main><h1>Test provider</h1>
<form method="post" action="/interaction/${uid}/login">
<label for="email">Email</label> <input id="email" name="email" type="email" required>
<label for="groups">Groups</label> <input id="groups" name="groups" type="text">
<label><input id="mfa" name="mfa" type="checkbox" value="yes"> I used a second factor</label>
<button id="submit" type="submit">Sign in</button></form></main></body></html>`;

const readForm = (req) => new Promise((resolve) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => resolve(new URLSearchParams(body)));
});

const callback = provider.callback();
server.on('request', async (req, res) => {
  const m = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!m) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page(details.uid));
    }
    const form = await readForm(req);
    const amr = form.get('mfa') === 'yes' ? ['pwd', 'mfa'] : ['pwd'];
    const groups = (form.get('groups') || '').split(',').map((g) => g.trim()).filter(Boolean);
    if (groups.length) groupsOf.set(form.get('email'), groups);
    else groupsOf.delete(form.get('email'));
    return provider.interactionFinished(req, res, {
      login: { accountId: form.get('email'), amr },
    }, { mergeWithLastSubmission: false });
  } catch (e) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end(`interaction failed: ${e.message}`);
  }
});

console.log(`listening ${issuer}`);
