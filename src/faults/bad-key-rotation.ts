/**
 * bad-key-rotation — the authorization server rotates its signing key the
 * wrong way. `sign-before-publish` signs with a kid the JWKS does not list yet
 * (the Auth0/Okta-style post-rotation 401 storms when RSs cache the key set);
 * `drop-old-early` pulls the old key while tokens it signed still live;
 * `wrong-alg` signs with an algorithm the published key does not declare (RFC
 * 7517 §4.4, RFC 8725 §3.1 alg allow-lists); `publish-then-sign` is the correct
 * rotation (publish, wait a lead time, switch, retire later — RFC 7517 §5 and
 * OpenID Connect Core §10.1.1) and serves as the control case.
 *
 * Revert: a rotation cannot be undone, but one still in progress can be ended:
 * a `wrong-alg` key or a still-unpublished kid is replaced by a correct
 * `publish-then-sign` rotation with no lead time. Once the rotation has
 * finished by itself, revert is a no-op.
 */
import { Type } from '@sinclair/typebox'
import { Duration } from '../scenario/schema.ts'
import { defineFault } from './types.ts'
import { injectFailed, once, requireAs } from './support.ts'

export const badKeyRotation = defineFault({
  id: 'bad-key-rotation',
  summary:
    'The AS rotates its signing key badly: signs before publishing, drops the old key early, or signs with the wrong alg.',
  params: Type.Object(
    {
      mode: Type.Union(
        [
          Type.Literal('sign-before-publish'),
          Type.Literal('drop-old-early'),
          Type.Literal('wrong-alg'),
          Type.Literal('publish-then-sign'),
        ],
        {
          default: 'sign-before-publish',
          description: 'how the rotation goes wrong; publish-then-sign is the correct rotation (control case)',
        },
      ),
      unpublishedFor: Duration('sign-before-publish: how long the new kid stays absent from the JWKS', '15s'),
      leadTime: Duration('publish-then-sign: time between publishing the new key and signing with it', '5s'),
      retireAfter: Duration('publish-then-sign: how long the old key stays published after the switch', '10m'),
      alg: Type.Optional(
        Type.String({
          description:
            'algorithm of the new key (default: the configured one; wrong-alg picks a mismatching one itself)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '30s',
  needs: () => ['as-control'],
  async inject(ctx, params) {
    const as = requireAs(ctx.targets, 'bad-key-rotation')
    let result: Awaited<ReturnType<typeof as.rotate>>
    try {
      result = await as.rotate({
        mode: params.mode,
        ...(params.mode === 'sign-before-publish' ? { unpublishedFor: params.unpublishedFor } : {}),
        ...(params.mode === 'publish-then-sign' ? { leadTime: params.leadTime, retireAfter: params.retireAfter } : {}),
        ...(params.alg ? { alg: params.alg } : {}),
      })
    } catch (err) {
      throw injectFailed('bad-key-rotation', err)
    }
    ctx.log.info(
      { fault: 'bad-key-rotation', mode: params.mode, oldKid: result.oldKid, newKid: result.newKid },
      'key.rotated',
    )
    return {
      details: { mode: params.mode, ...result },
      revert: once(async () => {
        const unfinished =
          params.mode === 'wrong-alg' || (params.mode === 'sign-before-publish' && Date.now() < result.publishAt)
        if (!unfinished) return
        await as.rotate({ mode: 'publish-then-sign', leadTime: '0s', retireAfter: params.retireAfter })
      }),
    }
  },
})
