/**
 * The API token: asked for when the API answers 401, kept in the tab's sessionStorage, sent as
 * a Bearer header. One prompt at a time, however many calls were refused.
 */
import { $, notice, setBadge } from './dom.js'

const TOKEN_KEY = 'pipeline-cron.token'

/** The reader closed the token prompt: the call that needed it fails with this. */
export class AuthCancelled extends Error {}

let prompt: Promise<void> | null = null
// After a cancel, nothing asks again until the reader chooses "Sign in".
let blocked = false

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken()
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra
}

/** Shows the token dialog with the server's reason; resolves once a token is entered. */
export function askForToken(detail: string): Promise<void> {
  if (blocked) return Promise.reject(new AuthCancelled())
  prompt ??= new Promise<void>((resolve, reject) => {
    const dialog = $<HTMLDialogElement>('token-dialog')
    const input = $<HTMLInputElement>('token-input')
    const error = $('token-error')
    const cancel = $('token-cancel')
    const hadToken = !!getToken()
    error.textContent = hadToken ? `The server refused the token: ${detail}` : detail
    error.hidden = false
    input.setAttribute('aria-invalid', String(hadToken))
    input.value = ''
    const done = (ok: boolean) => {
      dialog.removeEventListener('close', onClose)
      cancel.removeEventListener('click', onCancel)
      prompt = null
      if (ok) {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim())
        input.value = ''
        blocked = false
        renderAuth()
        resolve()
      } else {
        blocked = true
        renderAuth()
        reject(new AuthCancelled())
      }
    }
    const onClose = () => done(dialog.returnValue === 'ok' && input.value.trim() !== '')
    const onCancel = () => {
      dialog.returnValue = 'cancel'
      dialog.close()
    }
    dialog.addEventListener('close', onClose)
    cancel.addEventListener('click', onCancel)
    dialog.returnValue = ''
    dialog.showModal()
    input.focus()
  })
  return prompt
}

/** The header's "Forget token" and "Sign in" buttons, and the badge while signed out. */
export function renderAuth(): void {
  $('forget-token').hidden = !getToken()
  $('sign-in').hidden = !blocked
  if (blocked) {
    setBadge('Sign in needed', 's-down')
    notice('The API needs a token. Choose “Sign in” to enter it.', true)
  }
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY)
  renderAuth()
}

/** "Sign in": the next refused call asks for the token again. */
export function allowPrompt(): void {
  blocked = false
  renderAuth()
}
