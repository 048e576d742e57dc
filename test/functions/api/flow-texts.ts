/** Flow texts used by the API tests. */
export const FLOW_ID = 'demo-line';

/** A valid flow with two passing tests (`tests:` inline). `greeting` changes the welcome prompt. */
export function validFlow(greeting = 'Welcome to the demo line.'): string {
  return `id: ${FLOW_ID}
version: 1
description: Demo line for the API tests.
timezone: Europe/London
entry: start
prompts:
  menu: { text: "${greeting} Press 1 for news or 2 for an agent." }
  news: { text: Today is a good day. }
  bye: { text: Goodbye. }
steps:
  start:
    type: menu
    prompt: menu
    options: { "1": news, "2": agent }
    noInput: { next: agent }
    noMatch: { next: agent }
  news:
    type: play
    prompts: [news, bye]
    next: done
  agent:
    type: transfer
    target: { phone: "+14255550111" }
    failed: done
  done:
    type: hangup
tests:
  - name: news
    press: 'w 1'
    expect:
      path: [start, news, done]
  - name: agent
    press: 'w 2'
    expect:
      path: [start, agent]
`;
}

/** The valid flow with a test whose expectation is wrong (it fails). */
export function flowWithFailingTest(): string {
  return validFlow().replace('path: [start, agent]', 'path: [start, news]');
}

/** A flow with an error on a known line: step `news` goes to a step that does not exist. */
export function flowWithError(): { text: string; line: number } {
  const text = validFlow().replace('    next: done\n', '    next: nowhere\n');
  const line = text.split('\n').findIndex((l) => l.includes('next: nowhere')) + 1;
  return { text, line };
}
