"""FastAPI app: REST API and a server-rendered UI over the warehouse and the operational store."""
