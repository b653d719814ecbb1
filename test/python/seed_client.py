import requests
from typing import Optional

class CronAPIClient:
    def __init__(self, base_url: str = "http://localhost:8000"):
        self.base_url = base_url
    
    def start(self, interval_seconds: int) -> dict:
        """Start the cron daemon"""
        response = requests.post(
            f"{self.base_url}/api/cron/start",
            json={"interval_seconds": interval_seconds}
        )
        response.raise_for_status()
        return response.json()
    
    def stop(self) -> dict:
        """Stop the cron daemon"""
        response = requests.post(f"{self.base_url}/api/cron/stop")
        response.raise_for_status()
        return response.json()
    
    def status(self) -> dict:
        """Get cron status"""
        response = requests.get(f"{self.base_url}/api/cron/status")
        response.raise_for_status()
        return response.json()
    
    def get_logs(self, lines: Optional[int] = None) -> dict:
        """Get cron logs"""
        params = {"lines": lines} if lines else {}
        response = requests.get(f"{self.base_url}/api/cron/logs", params=params)
        response.raise_for_status()
        return response.json()
    
    def tail_logs(self, lines: int = 50) -> str:
        """Get tail of cron logs"""
        response = requests.get(
            f"{self.base_url}/api/cron/logs/tail",
            params={"lines": lines}
        )
        response.raise_for_status()
        return response.text
    
    def clear_logs(self) -> dict:
        """Clear cron logs"""
        response = requests.delete(f"{self.base_url}/api/cron/logs")
        response.raise_for_status()
        return response.json()
    
    def health(self) -> dict:
        """Health check"""
        response = requests.get(f"{self.base_url}/health")
        response.raise_for_status()
        return response.json()


# Usage Example
if __name__ == "__main__":
    client = CronAPIClient()
    
    # Start cron with 60 second interval
    print("Starting cron...")
    print(client.start(interval_seconds=60))
    
    # Check status
    print("\nChecking status...")
    print(client.status())
    
    # View logs
    print("\nViewing recent logs...")
    print(client.tail_logs(lines=20))
    
    # Stop cron
    print("\nStopping cron...")
    print(client.stop())
