import { describe, expect, it } from 'vitest'
import { postForm } from './token-endpoint.ts'
import type { OAuthRequest, Transport } from './transport.ts'

function answering(status: number, body: string, sent: OAuthRequest[]): Transport {
  return async (req) => {
    sent.push(req)
    return { status, headers: {}, body }
  }
}

describe('postForm', () => {
  it('posts a form without empty values, authenticated with client_secret_basic', async () => {
    const sent: OAuthRequest[] = []
    const r = await postForm(
      answering(200, '{"access_token":"at"}', sent),
      'http://127.0.0.1:9000/token',
      { grant_type: 'client_credentials', scope: '', resource: undefined },
      { clientId: 'svc', clientSecret: 's' },
    )
    expect(r).toMatchObject({ status: 200, json: { access_token: 'at' } })
    expect(sent[0]).toMatchObject({
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('svc:s').toString('base64')}`,
      },
    })
    expect(sent[0]!.body).toBe('grant_type=client_credentials')
  })

  it('puts the credentials in the form for client_secret_post, only client_id for a public client', async () => {
    const sent: OAuthRequest[] = []
    const t = answering(200, '{}', sent)
    await postForm(
      t,
      'http://127.0.0.1:9000/token',
      { grant_type: 'refresh_token' },
      { clientId: 'svc', clientSecret: 'a&b', authMethod: 'client_secret_post' },
    )
    await postForm(t, 'http://127.0.0.1:9000/token', { grant_type: 'refresh_token' }, { clientId: 'spa' })
    expect(sent[0]!.headers.authorization).toBeUndefined()
    expect(Object.fromEntries(new URLSearchParams(sent[0]!.body))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'svc',
      client_secret: 'a&b',
    })
    expect(Object.fromEntries(new URLSearchParams(sent[1]!.body))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'spa',
    })
  })

  it('reads no JSON object out of an HTML or array body', async () => {
    expect(
      (await postForm(answering(502, '<h1>bad gateway</h1>', []), 'http://127.0.0.1/t', {}, undefined)).json,
    ).toBeUndefined()
    expect((await postForm(answering(200, '[1]', []), 'http://127.0.0.1/t', {}, undefined)).json).toBeUndefined()
  })
})
