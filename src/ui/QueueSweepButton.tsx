import { useEffect, useState } from 'react';
import { currentServer } from './engine-client';
import { queueSweepOnServer, serverQueue } from './sweep-queue';

/**
 * The Sweep panel's "Queue on the server": shown only while the editor's engine is a server started with a queue
 * (`npm run serve -- --queue redis://…`), whose `npm run worker`s then run the points.
 */
export function QueueSweepButton({ disabled }: { disabled: boolean }) {
  const [queue, setQueue] = useState(false);
  const server = currentServer();
  useEffect(() => {
    let live = true;
    void serverQueue().then((q) => live && setQueue(q));
    return () => {
      live = false;
    };
  }, [server]);
  if (!queue) return null;
  return (
    <button
      data-testid="sweep-queue"
      disabled={disabled}
      title={`the points go to the BullMQ queue of the server at ${server ?? ''}, for its workers`}
      onClick={() => void queueSweepOnServer()}
    >
      Queue on the server
    </button>
  );
}
