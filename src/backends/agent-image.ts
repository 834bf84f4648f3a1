/** The agent image: /opt/devc with sshd, code-server and the agent, runnable in other images. */
export const agentImageRef = (version: string): string => `devc/devc-agent:${version}`;
