/**
 * The static body of the sign-in page (served at GET /auth/login). Every part starts
 * hidden; `main.ts` shows the one that fits: first-user setup, invite registration,
 * sign-in, the signed-in account panel with the user's passkeys, or why passkeys cannot
 * work at the address the visitor opened (see origin.ts).
 */
export const LOGIN_TITLE = 'Sign in · bloop'

export const LOGIN_BODY = `
<main class="card">
  <h1 class="brand">bloop</h1>
  <p id="message" class="message" role="status" aria-live="polite"></p>

  <section id="loading"><p>Loading…</p></section>

  <section id="unsupported" hidden>
    <h2>Passkeys are not available</h2>
    <p>This browser cannot use passkeys here. Open bloop over https (or http://localhost) in a current browser.</p>
  </section>

  <section id="origin" hidden>
    <h2>Passkeys cannot work at this address</h2>
    <p id="origin-why"></p>
    <p class="muted">This server: <code id="origin-config"></code></p>
    <ul class="fixes">
      <li id="origin-open">Open <a id="origin-open-link"></a> instead.</li>
      <li id="origin-tunnel">If bloop runs on another machine, forward its port from your computer:
        <code id="origin-tunnel-command"></code>, then open <a id="origin-tunnel-link"></a><span id="origin-tunnel-note"></span>.</li>
      <li>Or serve bloop over HTTPS behind a reverse proxy (Caddy or nginx) and set
        <code>auth.rp_origin</code> and <code>auth.rp_id</code> to that address:
        see "Running on a VPS" in bloop's README.</li>
    </ul>
  </section>

  <form id="setup" hidden>
    <h2>Create the first account</h2>
    <p>This server has no users yet. The first account becomes the administrator and signs in with a passkey, no password.</p>
    <label for="setup-username">Username</label>
    <input id="setup-username" name="username" autocomplete="username webauthn" required maxlength="64">
    <button id="setup-submit" type="submit">Create account with a passkey</button>
  </form>

  <form id="invite" hidden>
    <h2>Join this bloop server</h2>
    <p>You were invited. Pick a username and create a passkey to sign in with.</p>
    <label for="invite-username">Username</label>
    <input id="invite-username" name="username" autocomplete="username webauthn" required maxlength="64">
    <button id="invite-submit" type="submit">Join with a passkey</button>
  </form>

  <section id="signin" hidden>
    <h2>Sign in</h2>
    <p>Use the passkey you created for this server.</p>
    <button id="signin-submit" type="button">Sign in with a passkey</button>
  </section>

  <section id="account" hidden>
    <h2>Signed in as <span id="account-name"></span></h2>
    <p id="account-role" class="muted"></p>
    <p><a id="open-dashboard" href="/">Open the dashboard</a></p>
    <h3>Your passkeys</h3>
    <ul id="passkeys" class="passkeys"></ul>
    <form id="add-passkey">
      <label for="add-passkey-name">Add a passkey (another device or security key)</label>
      <input id="add-passkey-name" name="name" placeholder="e.g. work laptop" maxlength="64">
      <button id="add-passkey-submit" type="submit">Add passkey</button>
    </form>
    <button id="signout" type="button" class="secondary">Sign out</button>
  </section>
</main>
`
