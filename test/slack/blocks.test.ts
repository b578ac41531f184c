import { describe, expect, it } from 'vitest';
import { toSlack } from '../../adapters/slack/blocks.js';
import type { MessageDoc } from '../../src/chat/view/doc.js';

const doc = (over: Partial<MessageDoc> = {}): MessageDoc => ({
  text: 'Auto-heal on web-1: disk_cleanup (Disk 91.5%)',
  title: 'Auto-heal on web-1: disk_cleanup',
  tone: 'warning',
  fields: [
    { label: 'Host', value: 'web-1' },
    { label: 'Disk', value: '91.5% (> 85)  ▃▄▅▇' },
  ],
  lines: ['disk_usage 91.5 > 85'],
  footer: 'model severity-2026-11-25.1 · policy default@9ebbb7e53bc7 · rule auto_heal',
  ...over,
});

describe('message docs as Block Kit', () => {
  it('shows the title, the facts as fields, the reasons and the small print, with the text as fallback', () => {
    const { text, blocks } = toSlack(doc());
    expect(text).toBe('Auto-heal on web-1: disk_cleanup (Disk 91.5%)');
    expect(blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: ':warning: Auto-heal on web-1: disk_cleanup', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Host*\nweb-1' },
          { type: 'mrkdwn', text: '*Disk*\n91.5% (> 85)  ▃▄▅▇'.replace('>', '&gt;') },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: 'disk_usage 91.5 &gt; 85' } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: 'model severity-2026-11-25.1 · policy default@9ebbb7e53bc7 · rule auto_heal' },
        ],
      },
    ]);
  });

  it('escapes what Slack would read as markup: a reason cannot ping the channel or forge a link', () => {
    const { text, blocks } = toSlack(doc({ text: '<!channel> & <http://x|y>', lines: ['<!here> <@U1>'] }));
    expect(text).toBe('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    expect(JSON.stringify(blocks)).not.toMatch(/<!|<@|<http/);
  });

  it('offers Approve and Reject only while a decision is wanted', () => {
    const pending = toSlack(doc({ decide: { approvalId: 'apr-0123456789abcdef' } })).blocks.at(-1);
    expect(pending).toEqual({
      type: 'actions',
      block_id: 'healgate_decide',
      elements: [
        expect.objectContaining({ action_id: 'healgate_approve', style: 'primary', value: 'apr-0123456789abcdef' }),
        expect.objectContaining({ action_id: 'healgate_reject', style: 'danger', value: 'apr-0123456789abcdef' }),
      ],
    });
    expect(toSlack(doc()).blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it("keeps within Block Kit's limits: 10 fields a section, a 150-character header", () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: String(i) }));
    const { blocks } = toSlack(doc({ fields, title: 'x'.repeat(400) }));
    const sections = blocks.flatMap((b) => (b.type === 'section' && b.fields ? [b.fields.length] : []));
    expect(sections).toEqual([10, 10, 3]);
    const header = blocks[0];
    expect(header?.type === 'header' && header.text.text.length).toBe(150);
  });
});
